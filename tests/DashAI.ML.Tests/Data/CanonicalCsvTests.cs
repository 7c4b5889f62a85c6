using DashAI.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Tests.Data;

public class CanonicalCsvTests
{
    [Fact]
    public void MlNetReadsEverySplitRowWithTheStoredTypes()
    {
        using var folder = new TestFolder();
        var csv = "n,x,flag,note,label\n"
            + string.Concat(Enumerable.Range(0, 20).Select(i =>
                $"{i},{(i == 3 ? "NA" : i % 4 == 1 ? "1e3" : "+2.5")},{(i % 2 == 0 ? "TRUE" : "false")},\"multi\nline, \"\"{i}\"\"\",{(i % 2 == 0 ? "a" : "b")}\n"));
        var result = DatasetIngestor.Ingest(
            folder.WriteText("mixed.csv", csv),
            TestFolder.Request(splits: SplitOptions.Default with { Shuffle = false }),
            folder.Output,
            CancellationToken.None);

        var mlContext = new MLContext(seed: 1);
        var train = CanonicalCsv.Load(mlContext, result.Schema, result.SplitFiles[SplitNames.Train]);

        Assert.Equal(NumberDataViewType.Single, train.Schema["n"].Type);
        Assert.Equal(TextDataViewType.Instance, train.Schema["flag"].Type);
        var n = train.GetColumn<float>("n").ToArray();
        var x = train.GetColumn<float>("x").ToArray();
        var flags = train.GetColumn<ReadOnlyMemory<char>>("flag").Select(m => m.ToString()).ToArray();
        var notes = train.GetColumn<ReadOnlyMemory<char>>("note").Select(m => m.ToString()).ToArray();
        Assert.Equal(result.RowsPerSplit[SplitNames.Train], n.Length);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (float)i), n);
        Assert.Equal(2.5f, x[0]);
        Assert.Equal(1000f, x[1]);
        Assert.True(float.IsNaN(x[3]));
        Assert.Equal("true", flags[0]);
        Assert.Equal("false", flags[1]);
        Assert.Equal("multi\nline, \"7\"", notes[7]);
    }
}
