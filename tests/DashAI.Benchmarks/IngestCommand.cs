using System.Diagnostics;
using System.Globalization;
using DashAI.ML;
using DashAI.ML.Data;

namespace DashAI.Benchmarks;

/// <summary>
/// <c>ingest --csv PATH --label COLUMN [--task T]</c>: the upload's parse/infer/split path on a local
/// file, splits written to a temporary folder in the stored format; prints one JSON line of figures.
/// </summary>
internal static class IngestCommand
{
    public static int Run(string[] args)
    {
        string? csv = null;
        string? label = null;
        var task = "TabularClassificationTask";
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--csv": csv = args[i + 1]; break;
                case "--label": label = args[i + 1]; break;
                case "--task": task = args[i + 1]; break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }

        if (csv is null || label is null)
        {
            Console.Error.WriteLine("usage: DashAI.Benchmarks ingest --csv PATH --label COLUMN [--task T]");
            return 2;
        }

        var classification = task.Contains("Classification", StringComparison.Ordinal);
        var request = new IngestRequest
        {
            TaskName = task,
            DataLoader = DataLoaderCatalog.Csv,
            DatasetName = Path.GetFileNameWithoutExtension(csv),
            OutputColumns = [label],
            Splits = new SplitOptions(0.8, 0.1, 0.1, Seed: 42, Shuffle: true, Stratify: classification),
        };

        var output = Path.Combine(Path.GetTempPath(), $"dashai-ingest-bench-{Environment.ProcessId}");
        try
        {
            var stopwatch = Stopwatch.StartNew();
            IngestResult result;
            try
            {
                result = DatasetIngestor.Ingest(csv, request, output, CancellationToken.None);
            }
            catch (InvalidInputException ex)
            {
                Console.Error.WriteLine($"invalid input: {ex.Message}");
                return 1;
            }

            var seconds = stopwatch.Elapsed.TotalSeconds;
            var bytes = new FileInfo(csv).Length;
            FormattableString line =
                $"{{\"rows\":{result.Rows},\"bytes\":{bytes},\"seconds\":{seconds:F3},\"mb_per_s\":{bytes / 1e6 / seconds:F1},\"peak_memory_mb\":{PeakResidentMegabytes():F1}}}";
            Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
            return 0;
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    /// <summary>VmHWM: the process's peak resident set, which is what a memory limit on the host enforces.</summary>
    private static double PeakResidentMegabytes()
    {
        const string statusFile = "/proc/self/status";
        if (File.Exists(statusFile))
        {
            foreach (var line in File.ReadLines(statusFile))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kilobytes = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    return kilobytes / 1024.0;
                }
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}
