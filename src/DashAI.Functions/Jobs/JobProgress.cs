namespace DashAI.Functions.Jobs;

/// <summary>
/// What an attempt reports while it works; the heartbeat writes it on the target. A stage change wakes the heartbeat
/// so the target shows the new stage at once; counters (<see cref="Done"/> of <see cref="Total"/>, e.g. rows scored)
/// show at the next beat.
/// </summary>
public sealed class JobProgress(string initialStage) : IDisposable
{
    private readonly SemaphoreSlim _changed = new(0, 1);
    private volatile string _stage = initialStage;
    private long _done = -1;
    private long _total = -1;

    internal volatile bool CancelRequested;

    public string Stage
    {
        get => _stage;
        set
        {
            if (_stage == value)
            {
                return;
            }

            _stage = value;
            try
            {
                _changed.Release();
            }
            catch (SemaphoreFullException)
            {
                // A wake-up is already pending; it will report the latest stage.
            }
        }
    }

    /// <summary>Units of work done so far (rows scored, trials finished); null until the work reports it.</summary>
    public long? Done
    {
        get => Interlocked.Read(ref _done) is var d && d >= 0 ? d : null;
        set => Interlocked.Exchange(ref _done, value ?? -1);
    }

    /// <summary>Units of work in all, when known.</summary>
    public long? Total
    {
        get => Interlocked.Read(ref _total) is var t && t >= 0 ? t : null;
        set => Interlocked.Exchange(ref _total, value ?? -1);
    }

    /// <summary>
    /// Waits for the next beat: after <paramref name="interval"/> on <paramref name="time"/> (tests advance a fake
    /// clock), or sooner when the stage changes.
    /// </summary>
    internal async Task WaitForBeatAsync(TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        using var beat = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var changed = _changed.WaitAsync(beat.Token);
        var elapsed = Task.Delay(interval, time, beat.Token);
        await Task.WhenAny(changed, elapsed);
        await beat.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        // Observe the loser's cancellation so it is not reported as unobserved.
        _ = await Task.WhenAll(changed.ContinueWith(_ => 0, TaskScheduler.Default), elapsed.ContinueWith(_ => 0, TaskScheduler.Default));
    }

    public void Dispose() => _changed.Dispose();
}
