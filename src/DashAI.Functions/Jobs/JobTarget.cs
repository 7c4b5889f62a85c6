using DashAI.Functions.Storage;

namespace DashAI.Functions.Jobs;

/// <summary>What a job works on (a run, a prediction, an explainer, a trial): it names its job and shows it is alive.</summary>
public interface IJobTarget
{
    /// <summary>The job the target belongs to.</summary>
    long? JobId { get; }

    /// <summary>Whether the target is in the status a live attempt keeps it in while it works.</summary>
    bool IsWorking { get; }

    DateTimeOffset? Heartbeat { get; set; }
}

/// <summary>The heartbeat writes every job handler makes on its target, guarded the same way.</summary>
public static class JobTargets
{
    /// <summary>
    /// Stamps the heartbeat (and <paramref name="progress"/>, when given) of a target that still belongs to
    /// <paramref name="job"/> and is working; changes nothing otherwise.
    /// </summary>
    public static Task<T?> BeatAsync<T>(this EntityStore<T> store, long id, JobEntity job, DateTimeOffset now, Action<T>? progress, CancellationToken cancellationToken)
        where T : EntityBase, IJobTarget, new() =>
        store.ChangeWorkingAsync(
            id,
            job,
            target =>
            {
                target.Heartbeat = now;
                progress?.Invoke(target);
            },
            cancellationToken);

    /// <summary>Clears the heartbeat of a working target of <paramref name="job"/>, so the next delivery restarts it at once.</summary>
    public static Task<T?> ReleaseAsync<T>(this EntityStore<T> store, long id, JobEntity job, CancellationToken cancellationToken)
        where T : EntityBase, IJobTarget, new() =>
        store.ChangeWorkingAsync(id, job, target => target.Heartbeat = null, cancellationToken);

    private static Task<T?> ChangeWorkingAsync<T>(this EntityStore<T> store, long id, JobEntity job, Action<T> change, CancellationToken cancellationToken)
        where T : EntityBase, IJobTarget, new() =>
        store.ChangeAsync(
            id,
            target =>
            {
                if (target.JobId != job.Id || !target.IsWorking)
                {
                    return false;
                }

                change(target);
                return true;
            },
            cancellationToken);
}
