using System.Text;
using DashAI.ML.Data;

namespace DashAI.ML.Tests.Data;

public class BadInputTests
{
    private static InvalidInputException IngestFails(TestFolder folder, string path, IngestRequest? request = null)
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            DatasetIngestor.Ingest(path, request ?? TestFolder.Request(), folder.Output, CancellationToken.None));
        Assert.False(Directory.Exists(folder.Output) && Directory.EnumerateFiles(folder.Output).Any(), "a failed ingest left files behind");
        return error;
    }

    private static string Rows(int count, Func<int, string> row) => string.Concat(Enumerable.Range(0, count).Select(i => row(i) + "\n"));

    [Fact]
    public void AnEmptyFileIsRejected()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, folder.WriteText("empty.csv", ""));

        Assert.Equal("The file is empty.", Assert.Single(error.Errors));
    }

    [Fact]
    public void AFileOfBlankLinesIsRejectedAsEmpty()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, folder.WriteText("blank.csv", "\n\n\r\n"));

        Assert.Equal("The file is empty.", Assert.Single(error.Errors));
    }

    [Fact]
    public void AHeaderWithoutRowsIsRejected()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, folder.WriteText("header.csv", "a,b,c\n"));

        Assert.Contains("header but no data rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARaggedRowIsReportedWithItsRowNumber()
    {
        using var folder = new TestFolder();
        var csv = "a,b,label\n" + Rows(6, i => $"{i},{i},x") + "7,8\n" + Rows(5, i => $"{i},{i},y");

        var error = IngestFails(folder, folder.WriteText("ragged.csv", csv));

        Assert.Equal(7, error.Row);
        Assert.Contains("Row 7 (line 8) has 2 fields but the header has 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AQuoteThatIsNeverClosedIsReportedWithItsRow()
    {
        using var folder = new TestFolder();
        var csv = "a,label\n" + Rows(3, i => $"{i},x") + "3,\"y\n" + Rows(10, i => $"{i},z");

        var error = IngestFails(folder, folder.WriteText("open-quote.csv", csv));

        Assert.Equal(4, error.Row);
        Assert.Contains("never closed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UndecodableUtf8BytesAreReportedWithTheirRow()
    {
        using var folder = new TestFolder();
        var content = new List<byte>(Encoding.ASCII.GetBytes("name,label\n" + Rows(4, i => $"n{i},a")));
        content.AddRange([0x63, 0x61, 0x66, 0xE9]); // "café" in latin1: invalid UTF-8
        content.AddRange(Encoding.ASCII.GetBytes(",b\n" + Rows(5, i => $"m{i},b")));

        var error = IngestFails(folder, folder.WriteBytes("latin1.csv", [.. content]));

        Assert.Equal(5, error.Row);
        Assert.Contains("not valid utf-8", error.Message, StringComparison.Ordinal);
        Assert.Contains("encoding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UndecodableBytesFarIntoALargeFileAreReportedWithTheirRow()
    {
        using var folder = new TestFolder();
        var content = new List<byte>(Encoding.ASCII.GetBytes("name,label\n" + Rows(50_000, i => $"n{i},a")));
        content.AddRange([0xFF, 0xFE]);
        content.AddRange(Encoding.ASCII.GetBytes(",b\n" + Rows(5, i => $"m{i},b")));

        var error = IngestFails(folder, folder.WriteBytes("late.csv", [.. content]));

        Assert.Equal(50_001, error.Row);
    }

    [Fact]
    public void JsonTextThatIsNotUtf8IsReportedWithItsRecord()
    {
        using var folder = new TestFolder();
        var content = new List<byte>(Encoding.ASCII.GetBytes("[{\"a\":\"x\",\"b\":1},{\"a\":\"caf"));
        content.Add(0xE9);
        content.AddRange(Encoding.ASCII.GetBytes("\",\"b\":2}]"));

        var error = IngestFails(folder, folder.WriteBytes("latin1.json", [.. content]), TestFolder.Request(dataLoader: DataLoaderCatalog.Json));

        Assert.Equal(2, error.Row);
    }

    [Fact]
    public void AnOutputColumnThatDoesNotExistIsNamed()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, RepoPaths.Sample("iris.csv"), TestFolder.Request(outputs: ["Species"]));

        Assert.Contains("Output column 'Species' is not in the dataset", error.Message, StringComparison.Ordinal);
        Assert.Contains("'species'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALabelWithMissingValuesIsReportedWithTheFirstRow()
    {
        using var folder = new TestFolder();
        var csv = "x,label\n" + Rows(20, i => $"{i},{(i is 11 or 15 ? "NA" : "a")}");

        var error = IngestFails(folder, folder.WriteText("missing.csv", csv));

        Assert.Equal(12, error.Row);
        Assert.Contains("Output column 'label' has 2 missing values (first at row 12)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StratifyWithAClassTooSmallForEverySplitIsRejected()
    {
        using var folder = new TestFolder();
        var csv = "x,label\n" + Rows(30, i => $"{i},{(i < 2 ? "rare" : "common")}");

        var error = IngestFails(folder, folder.WriteText("rare.csv", csv), TestFolder.Request(splits: SplitOptions.Default with { Stratify = true }));

        Assert.Contains("'rare' (2 rows)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StratifyOnAContinuousTargetIsRejected()
    {
        using var folder = new TestFolder();
        var csv = "x,y\n" + Rows(2_000, i => $"{i},{i * 0.37}");

        var error = IngestFails(folder, folder.WriteText("regression.csv", csv), TestFolder.Request(splits: SplitOptions.Default with { Stratify = true }));

        Assert.Contains("more than 1000 distinct values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TooFewRowsToFillEverySplitAreRejected()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, folder.WriteText("tiny.csv", "x,label\n1,a\n2,b\n3,a\n"));

        Assert.Contains("Every split must be non-empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AZeroProportionIsRejectedBecauseEverySplitMustBeNonEmpty()
    {
        using var folder = new TestFolder();
        var request = TestFolder.Request(splits: new SplitOptions(0.9, 0.1, 0, 1, true, false));

        var error = IngestFails(folder, RepoPaths.Sample("iris.csv"), request);

        Assert.Contains("validation proportion is 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProportionsThatDoNotSumToOneAreRejectedBeforeReading()
    {
        using var folder = new TestFolder();
        var request = TestFolder.Request(splits: new SplitOptions(0.8, 0.1, 0.2, 1, true, false));

        var error = IngestFails(folder, Path.Combine(folder.Root, "never-read.csv"), request);

        Assert.Contains("must be 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateHeaderNamesAreRejected()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, folder.WriteText("dup.csv", "a,b,a\n" + Rows(10, i => $"{i},{i},{i}")));

        Assert.Contains("'a' more than once (columns 1, 3)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,,c", "Column 2 of the header is empty")]
    [InlineData(",a,b", "Column 1 of the header is empty")]
    [InlineData("a,b,", "Column 3 of the header is empty")]
    [InlineData("a,  ,c", "Column 2 of the header is empty")]
    [InlineData("a,\"\",c", "Column 2 of the header is empty")]
    [InlineData(",b,,d", "Columns 1, 3 of the header are empty")]
    public void AnEmptyHeaderCellIsRejectedNamingItsPosition(string header, string expected)
    {
        using var folder = new TestFolder();
        var columns = header.Count(c => c == ',') + 1;
        var csv = header + "\n" + Rows(10, i => string.Join(",", Enumerable.Range(0, columns).Select(c => i + c)));

        var error = IngestFails(folder, folder.WriteText("unnamed.csv", csv));

        Assert.Contains(expected, Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void AJsonRecordWithAnEmptyKeyIsRejectedNamingTheRecordAndField()
    {
        using var folder = new TestFolder();
        var json = "[" + string.Join(",", Enumerable.Range(0, 5).Select(i => $"{{\"a\":{i},\"b\":\"x\"}}")) + ",{\"a\":5,\"\":\"y\"}]";

        var error = IngestFails(folder, folder.WriteText("unnamed.json", json), TestFolder.Request(dataLoader: DataLoaderCatalog.Json));

        Assert.Equal(6, error.Row);
        Assert.Equal("Record 6: field 2 has an empty name; every field needs a name, since it becomes a column.", Assert.Single(error.Errors));
    }

    [Fact]
    public void AJsonRecordWithABlankKeyIsRejectedToo()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, folder.WriteText("blank.json", "[{\"  \":1,\"b\":\"x\"}]"), TestFolder.Request(dataLoader: DataLoaderCatalog.Json));

        Assert.Contains("Record 1: field 1 has an empty name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AJsonRecordThatNamesAFieldTwiceIsRejected()
    {
        using var folder = new TestFolder();
        var json = "[{\"a\":1,\"b\":\"x\"},{\"a\":2,\"b\":\"y\",\"a\":3}]";

        var error = IngestFails(folder, folder.WriteText("twice.json", json), TestFolder.Request(dataLoader: DataLoaderCatalog.Json));

        Assert.Equal(2, error.Row);
        Assert.Contains("Record 2 has the field 'a' more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AJsonRootObjectWithoutDataKeyIsRejected()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, folder.WriteText("obj.json", "{\"rows\":[{\"a\":1}]}"), TestFolder.Request(dataLoader: DataLoaderCatalog.Json));

        Assert.Contains("set dataloader_params.data_key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AJsonDataKeyThatIsAbsentIsNamed()
    {
        using var folder = new TestFolder();
        var request = TestFolder.Request(dataLoader: DataLoaderCatalog.Json, loader: new DataLoaderOptions(DataKey: "data"));

        var error = IngestFails(folder, folder.WriteText("obj.json", "{\"rows\":[{\"a\":1}]}"), request);

        Assert.Contains("no property 'data'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AJsonRecordWithANestedValueIsReportedWithItsRecordNumber()
    {
        using var folder = new TestFolder();
        var json = "[" + string.Join(",", Enumerable.Range(0, 5).Select(i => $"{{\"a\":{i},\"b\":\"x\"}}")) + ",{\"a\":{\"deep\":1},\"b\":\"y\"}]";

        var error = IngestFails(folder, folder.WriteText("nested.json", json), TestFolder.Request(dataLoader: DataLoaderCatalog.Json));

        Assert.Equal(6, error.Row);
        Assert.Contains("field 'a' is an object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedJsonIsRejected()
    {
        using var folder = new TestFolder();

        var error = IngestFails(folder, folder.WriteText("cut.json", "[{\"a\":1,\"b\":2},{\"a\":3,"), TestFolder.Request(dataLoader: DataLoaderCatalog.Json));

        Assert.NotEmpty(error.Errors);
    }
}
