using DashAI.Functions.E2ETests.Infrastructure;
using DashAI.Functions.LocalHost;

namespace DashAI.Functions.E2ETests;

/// <summary>
/// The real app with an instance fault in training only: its temp folder holds a file where training makes its work
/// folders (TMPDIR/dashai-work), so every training attempt fails with an IOException, as a
/// failing instance would, while uploads (TMPDIR/dashai-upload-*) still work. The worker must count that as
/// transient (let go of the run, rethrow) so the queue redelivers, poisons the message after maxDequeueCount, and the
/// poison handler ends the run in ERROR.
/// </summary>
public sealed class BrokenInstanceFixture : HarnessFixture
{
    private readonly string _tempDirectory = Directory.CreateTempSubdirectory("dashai-e2e-broken-").FullName;

    public BrokenInstanceFixture()
        : base("src/DashAI.Functions", "dashai-broken-instance")
    {
        File.WriteAllText(Path.Combine(_tempDirectory, "dashai-work"), "not a folder");
    }

    protected override IDictionary<string, string> AppSettings => new Dictionary<string, string>
    {
        ["TMPDIR"] = _tempDirectory,
    };

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            Directory.Delete(_tempDirectory, recursive: true);
        }
    }
}

public sealed class PoisonTests(BrokenInstanceFixture fixture) : IClassFixture<BrokenInstanceFixture>
{
    private static readonly TimeSpan PoisonTimeout = TimeSpan.FromSeconds(90);

    private readonly DashAIApi _api = new(fixture.Client, fixture.Log);

    [Fact]
    public async Task TrainingMessageThatAlwaysFailsIsPoisonedAndItsRunEndsInError()
    {
        var runId = await _api.CreateIrisRunAsync(Guid.NewGuid().ToString("N")[..8]);
        var jobId = await _api.EnqueueAsync(runId);

        var run = await _api.WaitForTerminalStatusAsync(runId, PoisonTimeout);

        Assert.True(run["status"]!.GetValue<int>() == DashAIApi.Error, $"Run {runId} ended {run.ToJsonString()}{Environment.NewLine}{fixture.Log.Tail()}");
        Assert.False(string.IsNullOrWhiteSpace(run["error"]?.GetValue<string>()), run.ToJsonString());
        Assert.NotNull(run["end_time"]);

        // Every allowed delivery failed, the last one moved the message aside, and the poison handler took it from there.
        // The handler ends the run before the harness records its delivery: wait for that record.
        var message = $"\"job_id\":{jobId}";
        var deliveries = await DeliveriesOfAsync(message, d => d.QueueName == "training-jobs-poison");
        var training = deliveries.Where(d => d.QueueName == "training-jobs").ToList();
        Assert.Equal(fixture.Harness.HostSettings.QueueMaxDequeueCount, training.Count);
        Assert.All(training[..^1], d => Assert.Equal(QueueDeliveryOutcome.FailedAndReleased, d.Outcome));
        Assert.Equal(QueueDeliveryOutcome.FailedAndPoisoned, training[^1].Outcome);
        Assert.Equal(Enumerable.Range(1, training.Count).Select(i => (long)i), training.Select(d => d.DequeueCount));
        Assert.Contains(deliveries, d => d.QueueName == "training-jobs-poison" && d.Outcome == QueueDeliveryOutcome.Succeeded);
    }

    private async Task<List<QueueDelivery>> DeliveriesOfAsync(string messageFragment, Func<QueueDelivery, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var deliveries = fixture.Harness.QueueDeliveries.Where(d => d.MessageText.Contains(messageFragment, StringComparison.Ordinal)).ToList();
            if (deliveries.Any(until) || DateTime.UtcNow > deadline)
            {
                return deliveries;
            }

            await Task.Delay(100);
        }
    }
}
