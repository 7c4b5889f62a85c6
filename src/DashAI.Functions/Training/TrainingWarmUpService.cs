using System.Diagnostics;
using DashAI.ML.Training;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Training;

/// <summary>
/// When the worker starts, trains each tabular model on a small made-up set in the background
/// (<see cref="TrainingWarmUp"/>), so the instance's first job runs optimized code. Best effort: a failure is logged
/// and changes nothing else; <c>DashAI:Training:WarmUp</c> false turns it off.
/// </summary>
public sealed partial class TrainingWarmUpService(IOptions<TrainingOptions> options, ILogger<TrainingWarmUpService> logger) : BackgroundService
{
    /// <summary>The models trained by the last run of the warm-up (empty before it finishes).</summary>
    public IReadOnlyList<string> Trained { get; private set; } = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WarmUp)
        {
            return;
        }

        var directory = Path.Combine(options.Value.WorkRoot(), $"warm-up-{Guid.NewGuid():N}");
        var watch = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(directory);
            // Off the host's start-up path: the worker takes requests and messages while this runs.
            Trained = await Task.Run(() => TrainingWarmUp.Run(directory, null, stoppingToken), stoppingToken);
            LogWarmedUp(logger, Trained.Count, watch.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The worker is stopping.
        }
        catch (Exception e)
        {
            // Whatever went wrong, the worker goes on: an exception escaping a hosted service would stop the host.
            LogWarmUpFailed(logger, e);
        }
        finally
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            catch (IOException)
            {
                // Temp space; the OS reclaims it.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training warm-up: trained {Models} models in {Seconds:F1} s")]
    private static partial void LogWarmedUp(ILogger logger, int models, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training warm-up failed; the first jobs run unoptimized code")]
    private static partial void LogWarmUpFailed(ILogger logger, Exception exception);
}
