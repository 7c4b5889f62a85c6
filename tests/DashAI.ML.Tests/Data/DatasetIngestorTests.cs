using System.Text;
using System.Text.Json;
using DashAI.ML.Data;

namespace DashAI.ML.Tests.Data;

public class DatasetIngestorTests
{
    public static TheoryData<string> ReferenceDatasets()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepoPaths.Samples, "*.csv").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void TheReferenceDatasetsAreAllThere()
    {
        var found = ((IEnumerable<object[]>)ReferenceDatasets()).Select(row => (string)row[0]).ToHashSet();

        Assert.Superset(
            new HashSet<string> { "breast_cancer.csv", "diabetes.csv", "digits.csv", "iris.csv", "package_sections.csv", "wine.csv" },
            found);
    }

    [Theory]
    [MemberData(nameof(ReferenceDatasets))]
    public void EveryReferenceDatasetIngestsIntoThreeNonEmptySplits(string file)
    {
        using var folder = new TestFolder();
        var source = RepoPaths.Sample(file);
        Assert.True(File.Exists(source), $"reference dataset missing: {source}");
        var headerColumns = File.ReadLines(source).First().Split(',').Length;
        var dataLines = File.ReadLines(source).Skip(1).Count(line => line.Length > 0);

        var result = DatasetIngestor.Ingest(source, TestFolder.Request(), folder.Output, CancellationToken.None);

        Assert.Equal(headerColumns, result.Schema.Columns.Count);
        Assert.Equal(dataLines, result.Rows);
        Assert.Equal(result.Schema.Columns[^1].Name, Assert.Single(result.Schema.OutputColumns));
        Assert.Equal(headerColumns - 1, result.Schema.InputColumns.Count);
        Assert.Equal(result.Rows, result.RowsPerSplit.Values.Sum());
        foreach (var split in SplitNames.All)
        {
            Assert.True(result.RowsPerSplit[split] > 0);
            var (header, rows) = TestFolder.ReadSplit(result.SplitFiles[split]);
            Assert.Equal(result.Schema.Columns.Select(c => c.Name), header);
            Assert.Equal(result.RowsPerSplit[split], rows.Count);
        }
    }

    [Fact]
    public void IrisColumnsAreInferredAsFloatsAndACategoricalLabel()
    {
        using var folder = new TestFolder();

        var result = DatasetIngestor.Ingest(RepoPaths.Sample("iris.csv"), TestFolder.Request(), folder.Output, CancellationToken.None);

        Assert.Equal(150, result.Rows);
        Assert.Equal(ColumnType.Float, result.Schema["sepal_length"].Type);
        Assert.Equal(ColumnType.Categorical, result.Schema["species"].Type);
        Assert.Equal(3, result.Schema["species"].DistinctCount);
        Assert.Equal(120, result.RowsPerSplit[SplitNames.Train]);
        Assert.Equal(15, result.RowsPerSplit[SplitNames.Validation]);
        Assert.Equal(15, result.RowsPerSplit[SplitNames.Test]);
    }

    [Fact]
    public void PackageDescriptionsAreTextAndSectionsAreCategories()
    {
        using var folder = new TestFolder();

        var result = DatasetIngestor.Ingest(RepoPaths.Sample("package_sections.csv"), TestFolder.Request(), folder.Output, CancellationToken.None);

        Assert.Equal(ColumnType.Text, result.Schema["description"].Type);
        Assert.Equal(ColumnType.Text, result.Schema["package"].Type);
        Assert.Equal(ColumnType.Categorical, result.Schema["section"].Type);
    }

    [Fact]
    public void DigitsPixelsAreIntegers()
    {
        using var folder = new TestFolder();

        var result = DatasetIngestor.Ingest(RepoPaths.Sample("digits.csv"), TestFolder.Request(), folder.Output, CancellationToken.None);

        Assert.Equal(ColumnType.Integer, result.Schema["px10"].Type);
        Assert.Equal(ColumnType.Integer, result.Schema["digit"].Type);
    }

    [Fact]
    public void TypesAndMissingValuesAreInferredPerColumn()
    {
        using var folder = new TestFolder();
        var csv = new StringBuilder("count,ratio,flag,comment,kind\n");
        for (var i = 0; i < 30; i++)
        {
            var ratio = (i % 10) switch { 0 => "NA", 1 => "", 2 => "?", 3 => "NaN", _ => (i / 4.0).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            csv.Append($"{i},{ratio},{(i % 2 == 0 ? "True" : "false")},this is comment number {i} here,{(i % 3 == 0 ? "a" : "b")}\n");
        }

        var result = DatasetIngestor.Ingest(folder.WriteText("types.csv", csv.ToString()), TestFolder.Request(), folder.Output, CancellationToken.None);

        Assert.Equal(ColumnType.Integer, result.Schema["count"].Type);
        Assert.Equal(ColumnType.Float, result.Schema["ratio"].Type);
        Assert.Equal(12, result.Schema["ratio"].MissingCount);
        Assert.Equal(0, result.Schema["count"].MissingCount);
        Assert.Equal(ColumnType.Boolean, result.Schema["flag"].Type);
        Assert.Equal(ColumnType.Text, result.Schema["comment"].Type);
        Assert.Equal(ColumnType.Categorical, result.Schema["kind"].Type);
        var allRows = SplitNames.All.SelectMany(s => TestFolder.ReadSplit(result.SplitFiles[s]).Rows).ToList();
        Assert.All(allRows, r => Assert.Contains(r[2], new[] { "true", "false" }));
        Assert.Equal(12, allRows.Count(r => r[1].Length == 0));
    }

    [Fact]
    public void AJsonListOfRecordsIngestsLikeTheSameCsv()
    {
        using var folder = new TestFolder();
        var csvPath = RepoPaths.Sample("iris.csv");
        var json = IrisAsJson(csvPath);
        var jsonPath = folder.WriteText("iris.json", JsonSerializer.Serialize(json));

        var fromCsv = DatasetIngestor.Ingest(csvPath, TestFolder.Request(), Path.Combine(folder.Root, "csv"), CancellationToken.None);
        var fromJson = DatasetIngestor.Ingest(jsonPath, TestFolder.Request(dataLoader: DataLoaderCatalog.Json), Path.Combine(folder.Root, "json"), CancellationToken.None);

        Assert.Equal(fromCsv.Schema.Columns, fromJson.Schema.Columns);
        Assert.Equal(fromCsv.Schema.OutputColumns, fromJson.Schema.OutputColumns);
        Assert.Equal(fromCsv.RowsPerSplit, fromJson.RowsPerSplit);
        Assert.Equal(File.ReadAllText(fromCsv.SplitFiles[SplitNames.Test]), File.ReadAllText(fromJson.SplitFiles[SplitNames.Test]));
    }

    [Fact]
    public void AJsonObjectWithDataKeyReadsTheNamedListAndTreatsAbsentKeysAsMissing()
    {
        using var folder = new TestFolder();
        var records = Enumerable.Range(0, 20).Select(i => i % 5 == 0
            ? (object)new { id = i, label = i % 2 == 0 ? "even" : "odd" }
            : new { id = i, score = i * 1.5, label = i % 2 == 0 ? "even" : "odd" });
        var path = folder.WriteText("wrapped.json", JsonSerializer.Serialize(new { meta = new { source = "x", tags = new[] { 1, 2 } }, rows = records }));
        var request = TestFolder.Request(outputs: ["label"], loader: new DataLoaderOptions(DataKey: "rows"), dataLoader: DataLoaderCatalog.Json);

        var result = DatasetIngestor.Ingest(path, request, folder.Output, CancellationToken.None);

        Assert.Equal(20, result.Rows);
        Assert.Equal(["id", "label", "score"], result.Schema.Columns.Select(c => c.Name));
        Assert.Equal(4, result.Schema["score"].MissingCount);
        Assert.Equal(ColumnType.Float, result.Schema["score"].Type);
    }

    [Fact]
    public void AJsonFileLargerThanTheReadBufferIsReadAcrossBufferBoundaries()
    {
        using var folder = new TestFolder();
        var longText = new string('w', 100_000);
        var records = Enumerable.Range(0, 5_000).Select(i => new Dictionary<string, object?>
        {
            ["id"] = i,
            ["note"] = i == 2_500 ? longText : $"note \"{i}\", with comma",
            ["flag"] = i % 2 == 0,
            ["label"] = i % 3 == 0 ? "x" : "y",
        });
        var path = folder.WriteText("big.json", JsonSerializer.Serialize(records));
        Assert.True(new FileInfo(path).Length > 4 * 65_536);

        var result = DatasetIngestor.Ingest(
            path,
            TestFolder.Request(splits: SplitOptions.Default with { Shuffle = false }, dataLoader: DataLoaderCatalog.Json),
            folder.Output,
            CancellationToken.None);

        Assert.Equal(5_000, result.Rows);
        Assert.Equal(ColumnType.Integer, result.Schema["id"].Type);
        Assert.Equal(ColumnType.Boolean, result.Schema["flag"].Type);
        var train = TestFolder.ReadSplit(result.SplitFiles[SplitNames.Train]).Rows;
        Assert.Equal(Enumerable.Range(0, 4_000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), train.Select(r => r[0]));
        Assert.Equal("note \"7\", with comma", train[7][1]);
        Assert.Equal(longText, train[2_500][1]);
    }

    [Fact]
    public void QuotedFieldsKeepSeparatorsQuotesAndLineBreaks()
    {
        using var folder = new TestFolder();
        var lines = new StringBuilder("text,label\n");
        for (var i = 0; i < 10; i++)
        {
            lines.Append($"\"line one {i}, with comma\nand \"\"quoted\"\" line two\",{(i % 2 == 0 ? "x" : "y")}\n");
        }

        var result = DatasetIngestor.Ingest(
            folder.WriteText("quoted.csv", lines.ToString()),
            TestFolder.Request(splits: SplitOptions.Default with { Shuffle = false }),
            folder.Output,
            CancellationToken.None);

        Assert.Equal(10, result.Rows);
        var train = TestFolder.ReadSplit(result.SplitFiles[SplitNames.Train]).Rows;
        Assert.Equal("line one 0, with comma\nand \"quoted\" line two", train[0][0]);
        Assert.Equal("x", train[0][1]);
    }

    [Fact]
    public void QuotedLabelsAreStratifiedAndWrittenIntact()
    {
        using var folder = new TestFolder();
        var csv = "x,label\n" + string.Concat(Enumerable.Range(0, 30).Select(i => i % 2 == 0 ? $"{i},\"say \"\"hi\"\", you\"\n" : $"{i},plain\n"));

        var result = DatasetIngestor.Ingest(
            folder.WriteText("quoted-labels.csv", csv),
            TestFolder.Request(splits: SplitOptions.Default with { Stratify = true }),
            folder.Output,
            CancellationToken.None);

        var labels = SplitNames.All.SelectMany(s => TestFolder.ReadSplit(result.SplitFiles[s]).Rows).Select(r => r[1]).ToList();
        Assert.Equal(15, labels.Count(l => l == "say \"hi\", you"));
        Assert.Equal(15, labels.Count(l => l == "plain"));
    }

    [Fact]
    public void ByteOrderMarkAndCrlfLineEndingsAreRemoved()
    {
        using var folder = new TestFolder();
        var body = string.Concat(Enumerable.Range(0, 10).Select(i => $"{i},{i % 2}\r\n"));
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("id,label\r\n" + body)).ToArray();

        var result = DatasetIngestor.Ingest(folder.WriteBytes("bom.csv", bytes), TestFolder.Request(), folder.Output, CancellationToken.None);

        Assert.Equal("id", result.Schema.Columns[0].Name);
        Assert.Equal(ColumnType.Integer, result.Schema["label"].Type);
        var text = File.ReadAllText(result.SplitFiles[SplitNames.Train]);
        Assert.StartsWith("id,label\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain('\uFEFF', text);
    }

    [Theory]
    [InlineData("latin1", new byte[] { 0x63, 0x61, 0x66, 0xE9 }, "café")]
    [InlineData("cp1252", new byte[] { 0x80, 0x35 }, "€5")]
    public void SingleByteEncodingsAreDecodedAndWrittenAsUtf8(string encoding, byte[] word, string expected)
    {
        using var folder = new TestFolder();
        var content = new List<byte>(Encoding.ASCII.GetBytes("name,label\n"));
        for (var i = 0; i < 10; i++)
        {
            content.AddRange(word);
            content.AddRange(Encoding.ASCII.GetBytes($",{i % 2}\n"));
        }

        var result = DatasetIngestor.Ingest(
            folder.WriteBytes("legacy.csv", [.. content]),
            TestFolder.Request(loader: new DataLoaderOptions(Encoding: encoding)),
            folder.Output,
            CancellationToken.None);

        var rows = TestFolder.ReadSplit(result.SplitFiles[SplitNames.Train]).Rows;
        Assert.All(rows, r => Assert.Equal(expected, r[0]));
    }

    [Fact]
    public void DecimalCommaNumbersBecomeFloatsWrittenWithAPoint()
    {
        using var folder = new TestFolder();
        var csv = "price;label\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"{i},5;{(i % 2 == 0 ? "a" : "b")}\n"));

        var result = DatasetIngestor.Ingest(
            folder.WriteText("comma.csv", csv),
            TestFolder.Request(loader: new DataLoaderOptions(Separator: ';', DecimalPoint: ','), splits: SplitOptions.Default with { Shuffle = false }),
            folder.Output,
            CancellationToken.None);

        Assert.Equal(ColumnType.Float, result.Schema["price"].Type);
        var train = TestFolder.ReadSplit(result.SplitFiles[SplitNames.Train]).Rows;
        Assert.Equal(["0.5", "a"], train[0]);
        Assert.Equal(["7.5", "b"], train[^1]);
    }

    [Fact]
    public void WithoutAHeaderColumnsAreNamedByPositionAndTheFirstRowIsData()
    {
        using var folder = new TestFolder();
        var csv = string.Concat(Enumerable.Range(0, 10).Select(i => $"{i},{i * 2},{(i % 2 == 0 ? "a" : "b")}\n"));

        var result = DatasetIngestor.Ingest(
            folder.WriteText("noheader.csv", csv),
            TestFolder.Request(loader: new DataLoaderOptions(Header: false)),
            folder.Output,
            CancellationToken.None);

        Assert.Equal(["column_0", "column_1", "column_2"], result.Schema.Columns.Select(c => c.Name));
        Assert.Equal(["column_2"], result.Schema.OutputColumns);
        Assert.Equal(10, result.Rows);
    }

    [Fact]
    public void TabSeparatedFilesAreReadAndWrittenAsCanonicalCsv()
    {
        using var folder = new TestFolder();
        var tsv = "name\tlabel\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"a, b {i}\t{i % 2}\n"));

        var result = DatasetIngestor.Ingest(
            folder.WriteText("data.tsv", tsv),
            TestFolder.Request(loader: new DataLoaderOptions(Separator: '\t'), splits: SplitOptions.Default with { Shuffle = false }),
            folder.Output,
            CancellationToken.None);

        Assert.StartsWith("name,label\n\"a, b 0\",0\n", File.ReadAllText(result.SplitFiles[SplitNames.Train]), StringComparison.Ordinal);
    }

    [Fact]
    public void BlankLinesAreSkippedAndNumbersAreWrittenCanonically()
    {
        using var folder = new TestFolder();
        var csv = "n,x,label\n 5 ,1.50,a\n\n+6,1e3,b\n7, 2.5 ,a\n\n8,Infinity,b\n9,-0.25,a\n";

        var result = DatasetIngestor.Ingest(
            folder.WriteText("numbers.csv", csv),
            TestFolder.Request(splits: new SplitOptions(0.6, 0.2, 0.2, 1, Shuffle: false, Stratify: false)),
            folder.Output,
            CancellationToken.None);

        Assert.Equal(5, result.Rows);
        Assert.Equal(ColumnType.Integer, result.Schema["n"].Type);
        Assert.Equal(ColumnType.Float, result.Schema["x"].Type);
        var train = TestFolder.ReadSplit(result.SplitFiles[SplitNames.Train]).Rows;
        Assert.Equal([["5", "1.50", "a"], ["6", "1e3", "b"], ["7", "2.5", "a"]], train);
    }

    [Fact]
    public void TheSameSeedGivesByteIdenticalSplitsAndAnotherSeedDoesNot()
    {
        using var folder = new TestFolder();
        var source = RepoPaths.Sample("iris.csv");
        var request = TestFolder.Request(splits: SplitOptions.Default with { Seed = 7, Stratify = true });

        var first = DatasetIngestor.Ingest(source, request, Path.Combine(folder.Root, "a"), CancellationToken.None);
        var second = DatasetIngestor.Ingest(source, request, Path.Combine(folder.Root, "b"), CancellationToken.None);
        var other = DatasetIngestor.Ingest(source, TestFolder.Request(splits: SplitOptions.Default with { Seed = 8, Stratify = true }), Path.Combine(folder.Root, "c"), CancellationToken.None);

        foreach (var split in SplitNames.All)
        {
            Assert.Equal(File.ReadAllBytes(first.SplitFiles[split]), File.ReadAllBytes(second.SplitFiles[split]));
        }

        Assert.NotEqual(File.ReadAllText(first.SplitFiles[SplitNames.Train]), File.ReadAllText(other.SplitFiles[SplitNames.Train]));
    }

    [Fact]
    public void WithoutShuffleTheSplitsAreConsecutiveRunsOfTheFile()
    {
        using var folder = new TestFolder();
        var csv = "id,label\n" + string.Concat(Enumerable.Range(1, 100).Select(i => $"{i},{i % 3}\n"));

        var result = DatasetIngestor.Ingest(
            folder.WriteText("ordered.csv", csv),
            TestFolder.Request(splits: SplitOptions.Default with { Shuffle = false }),
            folder.Output,
            CancellationToken.None);

        int[] Ids(string split) => TestFolder.ReadSplit(result.SplitFiles[split]).Rows.Select(r => int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(1, 80), Ids(SplitNames.Train));
        Assert.Equal(Enumerable.Range(81, 10), Ids(SplitNames.Validation));
        Assert.Equal(Enumerable.Range(91, 10), Ids(SplitNames.Test));
    }

    [Fact]
    public void ShuffledSplitsKeepFileOrderWithinEachSplitButMixTheRows()
    {
        using var folder = new TestFolder();
        var csv = "id,label\n" + string.Concat(Enumerable.Range(1, 100).Select(i => $"{i},{i % 3}\n"));

        var result = DatasetIngestor.Ingest(folder.WriteText("ordered.csv", csv), TestFolder.Request(), folder.Output, CancellationToken.None);

        var test = TestFolder.ReadSplit(result.SplitFiles[SplitNames.Test]).Rows.Select(r => int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(10, test.Length);
        Assert.Equal(test.Order(), test);
        Assert.NotEqual(Enumerable.Range(91, 10), test);
    }

    [Fact]
    public void StratifiedSplitsKeepEachClassProportionInEverySplit()
    {
        using var folder = new TestFolder();
        var labels = Enumerable.Repeat("a", 500).Concat(Enumerable.Repeat("b", 300)).Concat(Enumerable.Repeat("c", 200)).ToArray();
        var csv = "x,label\n" + string.Concat(labels.Select((l, i) => $"{i},{l}\n"));

        var result = DatasetIngestor.Ingest(
            folder.WriteText("classes.csv", csv),
            TestFolder.Request(splits: SplitOptions.Default with { Stratify = true }),
            folder.Output,
            CancellationToken.None);

        var expected = new Dictionary<string, (int A, int B, int C)>
        {
            [SplitNames.Train] = (400, 240, 160),
            [SplitNames.Validation] = (50, 30, 20),
            [SplitNames.Test] = (50, 30, 20),
        };
        foreach (var (split, (a, b, c)) in expected)
        {
            var counts = TestFolder.ReadSplit(result.SplitFiles[split]).Rows.GroupBy(r => r[1]).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal((a, b, c), (counts["a"], counts["b"], counts["c"]));
        }
    }

    [Fact]
    public void ACancelledIngestStopsAndLeavesNoSplitFiles()
    {
        using var folder = new TestFolder();
        var csv = "x,label\n" + string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i},{i % 2}\n"));
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            DatasetIngestor.Ingest(folder.WriteText("big.csv", csv), TestFolder.Request(), folder.Output, cancellation.Token));
        Assert.Empty(Directory.EnumerateFiles(folder.Output));
    }

    [Fact]
    public void AMultiMegabyteFileIsStreamedWithoutAllocatingPerField()
    {
        using var folder = new TestFolder();
        var path = Path.Combine(folder.Root, "large.csv");
        using (var writer = new StreamWriter(path))
        {
            writer.Write("a,b,c,d,e,f,g,h,kind,label\n");
            var random = new Random(3);
            for (var i = 0; i < 200_000; i++)
            {
                writer.Write($"{random.NextDouble():F4},{random.Next(1000)},{random.NextDouble():F4},{random.Next(1000)},{random.NextDouble():F4},{random.Next(1000)},{random.NextDouble():F4},{random.Next(1000)},k{i % 7},{i % 3}\n");
            }
        }

        var size = new FileInfo(path).Length;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = DatasetIngestor.Ingest(path, TestFolder.Request(splits: SplitOptions.Default with { Stratify = true }), folder.Output, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(200_000, result.Rows);
        Assert.True(size > 8_000_000, $"file is only {size} bytes");
        // A string per field would allocate about three times the file (object header plus two bytes
        // a char); bounded column profiles and one byte per row stay well under it.
        Assert.True(allocated < size, $"allocated {allocated:N0} bytes for a {size:N0}-byte file");
    }

    private static List<Dictionary<string, object>> IrisAsJson(string csvPath)
    {
        var lines = File.ReadAllLines(csvPath);
        var header = lines[0].Split(',');
        return lines.Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var fields = line.Split(',');
            var record = new Dictionary<string, object>();
            for (var i = 0; i < header.Length; i++)
            {
                record[header[i]] = i < header.Length - 1 ? double.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture) : fields[i];
            }

            return record;
        }).ToList();
    }
}
