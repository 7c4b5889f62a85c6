using System.Text;
using DashAI.ML.Data;
using nietras.SeparatedValues;

namespace DashAI.ML.Tests.Data;

/// <summary>A temporary folder owned by one test, deleted when the test ends.</summary>
internal sealed class TestFolder : IDisposable
{
    public TestFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "dashai-ml-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Output => Path.Combine(Root, "out");

    public string WriteText(string name, string content) => WriteBytes(name, new UTF8Encoding(false).GetBytes(content));

    public string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    /// <summary>Reads a written split back as (header, rows of unescaped fields).</summary>
    public static (string[] Header, List<string[]> Rows) ReadSplit(string path)
    {
        using var reader = Sep.New(',').Reader(o => o with { Unescape = true }).FromFile(path);
        var header = reader.Header.ColNames.ToArray();
        var rows = new List<string[]>();
        foreach (var row in reader)
        {
            var fields = new string[row.ColCount];
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = row[i].ToString();
            }

            rows.Add(fields);
        }

        return (header, rows);
    }

    public static IngestRequest Request(
        string[]? outputs = null,
        SplitOptions? splits = null,
        DataLoaderOptions? loader = null,
        string dataLoader = DataLoaderCatalog.Csv) => new()
        {
            TaskName = "TabularClassificationTask",
            DataLoader = dataLoader,
            DatasetName = "test",
            OutputColumns = outputs ?? [],
            Splits = splits ?? SplitOptions.Default,
            LoaderOptions = loader ?? DataLoaderOptions.Default,
        };
}
