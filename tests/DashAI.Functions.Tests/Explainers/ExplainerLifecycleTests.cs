using DashAI.Functions.Explainers;
using DashAI.Functions.Jobs;

namespace DashAI.Functions.Tests.Explainers;

public sealed class ExplainerLifecycleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<ExplainerStatus, ExplainerEvent, ExplainerStatus> Allowed()
    {
        var data = new TheoryData<ExplainerStatus, ExplainerEvent, ExplainerStatus>();
        foreach (var ((from, what), to) in Lifecycle.ExplainerTransitions)
        {
            data.Add(from, what, to);
        }

        return data;
    }

    public static TheoryData<ExplainerStatus, ExplainerEvent> Refused()
    {
        var data = new TheoryData<ExplainerStatus, ExplainerEvent>();
        foreach (var from in Enum.GetValues<ExplainerStatus>())
        {
            foreach (var what in Enum.GetValues<ExplainerEvent>().Where(e => !Lifecycle.ExplainerTransitions.ContainsKey((from, e))))
            {
                data.Add(from, what);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void AnAllowedTransitionMovesTheExplainerForItsJob(ExplainerStatus from, ExplainerEvent what, ExplainerStatus to)
    {
        var explainer = new ExplainerEntity { Status = (int)from, JobId = 7 };

        Assert.True(explainer.Apply(7, what, Now, what == ExplainerEvent.Fail ? "why" : null));

        Assert.Equal(to, explainer.ExplainerStatus);
        if (what == ExplainerEvent.Start)
        {
            Assert.Equal((Now, Now, "loading"), (explainer.StartTime!.Value, explainer.Heartbeat!.Value, explainer.Stage));
        }
        else
        {
            Assert.Equal(Now, explainer.EndTime);
            Assert.Null(explainer.Heartbeat);
        }
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void ARefusedTransitionChangesNothingAndIsATypedErrorThroughTheTable(ExplainerStatus from, ExplainerEvent what)
    {
        var explainer = new ExplainerEntity { Status = (int)from, JobId = 7 };

        Assert.False(explainer.Apply(7, what, Now));
        Assert.Throws<RefusedTransitionException>(() => Lifecycle.Next(from, what));
        Assert.Equal(from, explainer.ExplainerStatus);
    }

    [Fact]
    public void AnotherJobCannotMoveTheExplainer()
    {
        var explainer = new ExplainerEntity { Status = (int)ExplainerStatus.Started, JobId = 7 };

        Assert.False(explainer.Apply(8, ExplainerEvent.Finish, Now));
        Assert.Equal(ExplainerStatus.Started, explainer.ExplainerStatus);
    }
}
