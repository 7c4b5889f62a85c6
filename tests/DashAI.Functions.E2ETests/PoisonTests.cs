using DashAI.Functions.E2ETests.Infrastructure;
using DashAI.Functions.HostHarness;

namespace DashAI.Functions.E2ETests;

/// <summary>
/// The real app with an instance fault: its temp folder cannot be created (TMPDIR points under /dev/null), so every
/// training attempt fails with an IOException before it can record why, as a crashing instance would. A stale-after
/// of 0 lets each redelivery restart the run instead of waiting for the dead attempt's heartbeat to age.
/// </summary>
public sealed class BrokenInstanceFixture() : HarnessFixture("src/DashAI.Functions", "dashai-broken-instance")
{
    protected override IDictionary<string, string> AppSettings => new Dictionary<string, string>
    {
        ["TMPDIR"] = "/dev/null/dashai-no-temp",
        ["DashAI__Training__StaleAfterSeconds"] = "0",
    };
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
        var message = $"\"job_id\":{jobId}";
        var deliveries = fixture.Harness.QueueDeliveries.Where(d => d.MessageText.Contains(message, StringComparison.Ordinal)).ToList();
        var training = deliveries.Where(d => d.QueueName == "training-jobs").ToList();
        Assert.Equal(fixture.Harness.HostSettings.QueueMaxDequeueCount, training.Count);
        Assert.All(training[..^1], d => Assert.Equal(QueueDeliveryOutcome.FailedAndReleased, d.Outcome));
        Assert.Equal(QueueDeliveryOutcome.FailedAndPoisoned, training[^1].Outcome);
        Assert.Equal(Enumerable.Range(1, training.Count).Select(i => (long)i), training.Select(d => d.DequeueCount));
        Assert.Contains(deliveries, d => d.QueueName == "training-jobs-poison" && d.Outcome == QueueDeliveryOutcome.Succeeded);
    }
}
