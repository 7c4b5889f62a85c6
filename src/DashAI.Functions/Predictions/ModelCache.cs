namespace DashAI.Functions.Predictions;

/// <summary>
/// Loaded models kept per worker instance: least recently used first out once their estimated size passes the
/// capacity. Keyed by run id and the model blob's ETag, so a retrained run (new blob, new ETag) never serves the
/// old model, and the old one is dropped as soon as the new one is loaded. A cold model loads once however many
/// requests ask for it at the same time; a failed load is not kept, so the next request tries again.
/// </summary>
public sealed class ModelCache<TModel> : IDisposable
    where TModel : class
{
    private readonly long _capacityBytes;
    private readonly object _gate = new();
    private readonly Dictionary<(long RunId, string ETag), Slot> _slots = [];
    private readonly LinkedList<(long RunId, string ETag)> _recency = new();
    private readonly CancellationTokenSource _lifetime = new();
    private long _sizeBytes;

    public ModelCache(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        _capacityBytes = capacityBytes;
    }

    /// <summary>The estimated bytes of the models held now.</summary>
    public long SizeBytes
    {
        get
        {
            lock (_gate)
            {
                return _sizeBytes;
            }
        }
    }

    /// <summary>The keys held now, most recently used first (for tests and diagnostics).</summary>
    public IReadOnlyList<(long RunId, string ETag)> Keys
    {
        get
        {
            lock (_gate)
            {
                return _recency.ToList();
            }
        }
    }

    /// <summary>
    /// The model of <paramref name="runId"/> at <paramref name="etag"/>, loaded by <paramref name="load"/> (which
    /// returns the model and its estimated size in bytes) if this instance does not hold it yet.
    /// </summary>
    public async Task<TModel> GetOrLoadAsync(
        long runId, string etag, Func<CancellationToken, Task<(TModel Model, long SizeBytes)>> load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(load);
        var key = (runId, etag);
        Slot slot;
        lock (_gate)
        {
            if (_slots.TryGetValue(key, out var existing))
            {
                slot = existing;
                if (slot.Node is not null)
                {
                    _recency.Remove(slot.Node);
                    _recency.AddFirst(slot.Node);
                }
            }
            else
            {
                // The load belongs to the cache, not to the first caller: a caller that gives up does not fail the
                // others waiting for the same model.
                slot = new Slot(LoadAsync(key, load));
                _slots[key] = slot;
            }
        }

        return await slot.Loading.WaitAsync(cancellationToken);
    }

    private async Task<TModel> LoadAsync((long RunId, string ETag) key, Func<CancellationToken, Task<(TModel Model, long SizeBytes)>> load)
    {
        // Yield so the slot is registered before any of the load runs.
        await Task.Yield();
        (TModel Model, long SizeBytes) loaded;
        try
        {
            loaded = await load(_lifetime.Token);
        }
        catch
        {
            lock (_gate)
            {
                _slots.Remove(key);
            }

            throw;
        }

        lock (_gate)
        {
            if (_slots.TryGetValue(key, out var slot))
            {
                slot.SizeBytes = Math.Max(1, loaded.SizeBytes);
                slot.Node = _recency.AddFirst(key);
                _sizeBytes += slot.SizeBytes;

                // Older versions of the same run are never asked for again.
                foreach (var stale in _slots.Keys.Where(k => k.RunId == key.RunId && k.ETag != key.ETag).ToList())
                {
                    Evict(stale);
                }

                while (_sizeBytes > _capacityBytes && _recency.Last is { } last && last.Value != key)
                {
                    Evict(last.Value);
                }
            }
        }

        return loaded.Model;
    }

    private void Evict((long RunId, string ETag) key)
    {
        if (_slots.Remove(key, out var slot) && slot.Node is not null)
        {
            _recency.Remove(slot.Node);
            _sizeBytes -= slot.SizeBytes;
        }
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    private sealed class Slot(Task<TModel> loading)
    {
        public Task<TModel> Loading { get; } = loading;

        public long SizeBytes { get; set; }

        public LinkedListNode<(long RunId, string ETag)>? Node { get; set; }
    }
}
