using System.Collections.Concurrent;
using DashAI.Functions.Jobs;
using DashAI.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DashAI.Functions.Tests.Jobs;

/// <summary>
/// The job machinery with a job type of its own (a fake handler over in-memory targets): what every type gets from
/// <see cref="JobWorker"/> without writing it again.
/// </summary>
public sealed class JobWorkerTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
    private readonly WidgetHandler _handler = new();
    private readonly TestApp _app;
    private readonly QueueHost _host;
    private JobWorker _worker = null!;

    public JobWorkerTests()
    {
        _app = TestApp.Create(
            s => s.AddSingleton<IJobHandler>(_handler).AddSingleton<TimeProvider>(_clock),
            new Dictionary<string, string?> { ["DashAI:Training:HeartbeatSeconds"] = "1", ["DashAI:Training:StaleAfterSeconds"] = "3" });
        _host = new QueueHost(_app);
    }

    public Task InitializeAsync()
    {
        _worker = _app.Services.GetRequiredService<JobWorker>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<JobEntity> Submit(long target)
    {
        var job = await _app.Stores.Jobs.CreateAsync(new JobEntity { Type = WidgetHandler.WidgetType, RunId = 1, TargetId = target }, default);
        await _worker.SendAsync(job, default);
        return job;
    }

    private Task<JobEntity> Job(long id) => _app.Stores.Jobs.GetAsync(id, default);

    [Fact]
    public async Task AJobOfAnyTypeIsClaimedOnceRunsAndSucceedsAndADuplicateDeliveryIsANoOp()
    {
        var job = await Submit(7);
        var message = await _host.ReceiveAsync();

        var first = await _host.InvokeAsync(message);
        await _worker.ProcessAsync(message.MessageText, 2, default);

        Assert.True(first.Succeeded);
        Assert.Equal(1, _handler.Executions);
        Assert.Equal(["start 7", "done 7"], _handler.Events);
        var stored = await Job(job.Id);
        Assert.Equal(JobStatus.Succeeded, stored.Status);
        Assert.Equal(1, stored.Attempts);
        Assert.Equal(7, stored.TargetId);
    }

    [Fact]
    public async Task TheHeartbeatWritesTheAttemptsProgressOnTheTarget()
    {
        var release = new TaskCompletionSource();
        _handler.Work = async (context, ct) =>
        {
            context.Progress.Total = 10;
            context.Progress.Done = 4;
            await release.Task.WaitAsync(ct);
            return JobResult.Succeeded;
        };
        var job = await Submit(3);
        var delivery = _host.DeliverNextAsync();

        var limit = DateTime.UtcNow.AddSeconds(60);
        while (!_handler.Beats.Contains("3: 4/10"))
        {
            Assert.True(DateTime.UtcNow < limit, "no beat reported the progress");
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        release.SetResult();
        Assert.True((await delivery)!.Succeeded);
        Assert.Equal(JobStatus.Succeeded, (await Job(job.Id)).Status);
    }

    [Fact]
    public async Task AJobWaitingOnOthersStaysRunningIsNotRecoveredAndACancelEndsItAtOnce()
    {
        _handler.Work = (_, _) => Task.FromResult(JobResult.Waiting);
        var job = await Submit(5);
        var message = await _host.ReceiveAsync();
        Assert.True((await _host.InvokeAsync(message)).Succeeded);

        var waiting = await Job(job.Id);
        Assert.Equal(JobStatus.Running, waiting.Status);
        Assert.True(waiting.Waiting);
        Assert.Null(waiting.Heartbeat);

        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await _worker.RecoverStaleJobsAsync(default));
        await _worker.ProcessAsync(message.MessageText, 2, default);
        Assert.Equal(1, _handler.Executions);

        var (outcome, cancelled) = await _worker.CancelAsync(job.Id, default);
        Assert.Equal(CancelOutcome.Cancelled, outcome);
        Assert.Equal(JobStatus.Cancelled, cancelled!.Status);
        Assert.False(cancelled.Waiting);
        Assert.Contains("end 5 Cancelled", _handler.Events);
    }

    [Fact]
    public async Task ATargetThatNoLongerWaitsFailsTheJobWithItsReasonAndNothingRuns()
    {
        _handler.Refusal = "The widget was deleted.";
        var job = await Submit(9);

        Assert.True((await _host.DeliverNextAsync())!.Succeeded);

        var failed = await Job(job.Id);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal("The widget was deleted.", failed.Error);
        Assert.Equal(0, _handler.Executions);
    }

    [Fact]
    public async Task APermanentFailureEndsTheTargetInErrorAndATransientOneIsRedeliveredUntilThePoisonHandlerEndsIt()
    {
        _handler.Work = (_, _) => throw new PermanentJobException("The widget is bent.");
        var bent = await Submit(11);
        Assert.True((await _host.DeliverNextAsync())!.Succeeded);
        Assert.Contains("end 11 Error The widget is bent.", _handler.Events);
        Assert.Equal(JobStatus.Failed, (await Job(bent.Id)).Status);

        _handler.Work = (_, _) => throw new Azure.RequestFailedException(503, "busy");
        var busy = await Submit(12);
        var deliveries = await _host.DrainAsync();
        Assert.Equal(1, await _host.DeliverPoisonAsync());

        Assert.Equal(QueueHost.MaxDequeueCount, deliveries.Count);
        Assert.Contains(_handler.Events, e => e.StartsWith($"end 12 Error widgeting failed {QueueHost.MaxDequeueCount} times: storage error 503", StringComparison.Ordinal));
        Assert.Equal(JobStatus.Failed, (await Job(busy.Id)).Status);
    }

    [Fact]
    public async Task AMessageOfAnUnknownTypeOrMalformedIsIgnored()
    {
        await _worker.ProcessAsync("""{"job_id":1,"run_id":1,"type":42,"target_id":1}""", 1, default);
        await _worker.ProcessAsync("not json", 1, default);
        await _worker.HandlePoisonAsync("""{"job_id":1,"run_id":1,"type":42}""", default);

        Assert.Equal(0, _handler.Executions);
        Assert.Empty(_handler.Events);
    }

    [Theory]
    [InlineData("""{"job_id":3,"run_id":4}""", JobTypes.Train, null)]
    [InlineData("""{"job_id":3,"run_id":4,"type":1,"target_id":8}""", JobTypes.Predict, 8L)]
    public void AMessageWithoutATypeIsATrainingMessage(string text, int type, long? target)
    {
        var message = JobMessage.TryParse(text);

        Assert.NotNull(message);
        Assert.Equal(type, message.Type);
        Assert.Equal(target, message.TargetId);
        Assert.Equal(target ?? 4, message.Target);
        Assert.Equal(message, JobMessage.TryParse(message.ToJson()));
    }

    [Theory]
    [InlineData("""{"job_id":0,"run_id":4}""")]
    [InlineData("""{"job_id":3,"run_id":4,"type":-1}""")]
    [InlineData("""{"job_id":3,"run_id":4,"type":1,"target_id":0}""")]
    public void AMessageWithImpossibleIdsIsRefused(string text) => Assert.Null(JobMessage.TryParse(text));

    /// <summary>A job type that exists only in this test: its targets are entries in memory.</summary>
    private sealed class WidgetHandler : IJobHandler
    {
        public const int WidgetType = 99;
        private int _executions;

        public ConcurrentQueue<string> Events { get; } = new();

        public ConcurrentQueue<string> Beats { get; } = new();

        public int Executions => _executions;

        public string? Refusal { get; set; }

        public Func<JobContext, CancellationToken, Task<JobResult>> Work { get; set; } = (_, _) => Task.FromResult(JobResult.Succeeded);

        public int Type => WidgetType;

        public string Noun => "Widget";

        public string Doing => "widgeting";

        public long TargetOf(JobEntity job) => job.TargetId ?? 0;

        public Task<string?> StartAsync(JobEntity job, DateTimeOffset now, CancellationToken cancellationToken)
        {
            if (Refusal is null)
            {
                Events.Enqueue($"start {TargetOf(job)}");
            }

            return Task.FromResult(Refusal);
        }

        public async Task<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _executions);
            Assert.True(Directory.Exists(context.WorkDirectory));
            var result = await Work(context, cancellationToken);
            if (result.Kind == JobResultKind.Succeeded)
            {
                Events.Enqueue($"done {TargetOf(context.Job)}");
            }

            return result;
        }

        public Task BeatAsync(JobEntity job, JobProgress progress, DateTimeOffset now, CancellationToken cancellationToken)
        {
            Beats.Enqueue($"{TargetOf(job)}: {progress.Done}/{progress.Total}");
            return Task.CompletedTask;
        }

        public Task EndAsync(JobEntity job, JobEnd end, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
        {
            Events.Enqueue($"end {TargetOf(job)} {end} {reason}".TrimEnd());
            return Task.CompletedTask;
        }

        public Task ReleaseAsync(JobEntity job, CancellationToken cancellationToken) => Task.CompletedTask;

        public void RecordEnded(string status, string? errorKind)
        {
        }
    }
}
