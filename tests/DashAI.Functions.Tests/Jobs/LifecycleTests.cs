using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;

namespace DashAI.Functions.Tests.Jobs;

public sealed class LifecycleTests
{
    public static TheoryData<RunStatus, RunEvent, RunStatus> AllowedRunTransitions()
    {
        var data = new TheoryData<RunStatus, RunEvent, RunStatus>();
        foreach (var ((from, what), to) in Lifecycle.RunTransitions)
        {
            data.Add(from, what, to);
        }

        return data;
    }

    public static TheoryData<RunStatus, RunEvent> RefusedRunTransitions()
    {
        var data = new TheoryData<RunStatus, RunEvent>();
        foreach (var from in Enum.GetValues<RunStatus>())
        {
            foreach (var what in Enum.GetValues<RunEvent>().Where(e => !Lifecycle.RunTransitions.ContainsKey((from, e))))
            {
                data.Add(from, what);
            }
        }

        return data;
    }

    public static TheoryData<string, JobEvent, string> AllowedJobTransitions()
    {
        var data = new TheoryData<string, JobEvent, string>();
        foreach (var ((from, what), to) in Lifecycle.JobTransitions)
        {
            data.Add(from, what, to);
        }

        return data;
    }

    public static TheoryData<string, JobEvent> RefusedJobTransitions()
    {
        var data = new TheoryData<string, JobEvent>();
        foreach (var from in JobStatus.All)
        {
            foreach (var what in Enum.GetValues<JobEvent>().Where(e => !Lifecycle.JobTransitions.ContainsKey((from, e))))
            {
                data.Add(from, what);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllowedRunTransitions))]
    public void AnAllowedRunTransitionLeadsWhereTheTableSays(RunStatus from, RunEvent what, RunStatus to)
    {
        Assert.True(Lifecycle.Allows(from, what));
        Assert.Equal(to, Lifecycle.Next(from, what));
    }

    [Theory]
    [MemberData(nameof(RefusedRunTransitions))]
    public void ARefusedRunTransitionIsATypedError(RunStatus from, RunEvent what)
    {
        Assert.False(Lifecycle.Allows(from, what));
        var refused = Assert.Throws<RefusedTransitionException>(() => Lifecycle.Next(from, what));
        Assert.Equal("run", refused.Kind);
    }

    [Theory]
    [MemberData(nameof(AllowedJobTransitions))]
    public void AnAllowedJobTransitionLeadsWhereTheTableSays(string from, JobEvent what, string to)
    {
        Assert.True(Lifecycle.Allows(from, what));
        Assert.Equal(to, Lifecycle.Next(from, what));
    }

    [Theory]
    [MemberData(nameof(RefusedJobTransitions))]
    public void ARefusedJobTransitionIsATypedError(string from, JobEvent what)
    {
        Assert.False(Lifecycle.Allows(from, what));
        Assert.Throws<RefusedTransitionException>(() => Lifecycle.Next(from, what));
    }

    [Fact]
    public void TheTablesKeepTheDocumentedShape()
    {
        // Every status can be left, and only through the table: finished jobs are final; a run can always train again
        // once it is not queued or training.
        Assert.Equal(15, Lifecycle.RunTransitions.Count);
        Assert.Equal(7, Lifecycle.JobTransitions.Count);
        Assert.All([JobStatus.Succeeded, JobStatus.Failed, JobStatus.Cancelled], s =>
            Assert.DoesNotContain(Lifecycle.JobTransitions.Keys, k => k.From == s));
        Assert.All([RunStatus.Delivered, RunStatus.Started], s =>
        {
            Assert.False(Lifecycle.Allows(s, RunEvent.Enqueue));
            Assert.False(Lifecycle.Allows(s, RunEvent.Reset));
        });
    }

    [Fact]
    public void QueuingARunClearsItsResultsAndQueuingItTwiceIsRefused()
    {
        var run = new RunEntity { Status = (int)RunStatus.Finished, TestMetrics = "{}", RunPath = "models/1/model.zip", Error = "old" };
        var now = DateTimeOffset.UtcNow;

        run.Enqueue(7, now);

        Assert.Equal(RunStatus.Delivered, run.RunStatus);
        Assert.Null(run.TestMetrics);
        Assert.Null(run.RunPath);
        Assert.Equal(7, run.JobId);
        Assert.Equal(now, run.DeliveryTime);
        Assert.Throws<RefusedTransitionException>(() => run.Enqueue(8, now));
        Assert.Throws<RefusedTransitionException>(run.ResetResults);
    }

    [Fact]
    public void EndingARunForAnotherJobOrTwiceChangesNothing()
    {
        var run = new RunEntity { Status = (int)RunStatus.Started, JobId = 3 };
        var now = DateTimeOffset.UtcNow;

        Assert.False(run.EndFor(4, RunStatus.Cancelled, null, now));
        Assert.True(run.EndFor(3, RunStatus.Error, "bad data", now));
        Assert.False(run.EndFor(3, RunStatus.Cancelled, null, now));
        Assert.Equal(RunStatus.Error, run.RunStatus);
        Assert.Equal("bad data", run.Error);
    }

    [Fact]
    public void AFinishedJobCannotFinishAgain()
    {
        var job = new JobEntity { Status = JobStatus.Running };
        job.Finish(JobStatus.Succeeded, null, DateTimeOffset.UtcNow);

        Assert.Throws<RefusedTransitionException>(() => job.Finish(JobStatus.Cancelled, null, DateTimeOffset.UtcNow));
        Assert.Equal(JobStatus.Succeeded, job.Status);
    }
}
