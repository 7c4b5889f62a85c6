using System.Diagnostics;
using System.Text.Json;
using DashAI.Functions.Experiments;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DashAI.Benchmarks;

/// <summary>
/// <c>list [--runs N] [--samples K] [--limit L]</c>: starts its own Azurite, creates N runs in one experiment, then
/// times K first pages of
/// <c>GET /run?experiment_id=…&amp;limit=L</c> through the same function the HTTP trigger calls (result rendered to
/// JSON), and one full scan following the <c>Link: rel="next"</c> pages of 1,000. Prints one JSON line.
/// </summary>
public static class ListCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = QueueLatencyCommand.IntOption(args, "--runs", 10_000);
        var samples = QueueLatencyCommand.IntOption(args, "--samples", 200);
        var limit = QueueLatencyCommand.IntOption(args, "--limit", 100);

        using var azurite = AzuriteServer.Instance;
        var services = InProcessHttp.Services(azurite.ConnectionString);
        await using var _ = services;
        var stores = services.GetRequiredService<Stores>();

        var experiment = await stores.Experiments.CreateAsync(new ExperimentEntity { DatasetId = 1, Name = "list", TaskName = "TabularClassificationTask" }, default);
        var create = Stopwatch.StartNew();
        await Parallel.ForAsync(0, runs, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await stores.Runs.CreateAsync(
                new RunEntity { ExperimentId = experiment.Id, ModelName = "LogisticRegression", Name = $"run-{i}", Parameters = "{\"l2_regularization\":1.0}" }, ct));
        var createSeconds = create.Elapsed.TotalSeconds;

        var functions = ActivatorUtilities.CreateInstance<RunFunctions>(services);
        var firstPage = new List<double>();
        for (var i = 0; i < samples + 5; i++)
        {
            var watch = Stopwatch.StartNew();
            var (status, _, body) = await InProcessHttp.InvokeAsync(services, functions.List, "GET", query: $"experiment_id={experiment.Id}&limit={limit}");
            watch.Stop();
            if (status != 200 || body!.AsArray().Count != Math.Min(limit, runs))
            {
                throw new InvalidOperationException($"first page: {status}, {body?.ToJsonString()[..Math.Min(200, body.ToJsonString().Length)]}");
            }

            if (i >= 5)
            {
                // The first few calls warm up the JIT and the connection pool.
                firstPage.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        var scan = Stopwatch.StartNew();
        var seen = 0;
        string? query = $"experiment_id={experiment.Id}&limit=1000";
        while (query is not null)
        {
            var (status, headers, body) = await InProcessHttp.InvokeAsync(services, functions.List, "GET", query: query);
            if (status != 200)
            {
                throw new InvalidOperationException($"scan page: {status}");
            }

            seen += body!.AsArray().Count;
            var link = headers.Link.ToString();
            query = string.IsNullOrEmpty(link) ? null : link[(link.IndexOf('?', StringComparison.Ordinal) + 1)..link.IndexOf('>', StringComparison.Ordinal)];
        }

        if (seen != runs)
        {
            throw new InvalidOperationException($"full scan saw {seen} runs, not {runs}");
        }

        var sorted = firstPage.Order().ToList();
        double Percentile(double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["runs"] = runs,
            ["limit"] = limit,
            ["samples"] = samples,
            ["create_s"] = Math.Round(createSeconds, 1),
            ["first_page_ms_p50"] = Math.Round(Percentile(0.5), 1),
            ["first_page_ms_p99"] = Math.Round(Percentile(0.99), 1),
            ["full_scan_s"] = Math.Round(scan.Elapsed.TotalSeconds, 2),
        }));
        return 0;
    }
}
