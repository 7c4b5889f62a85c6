using System.Reflection;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace DashAI.Functions.Storage;

/// <summary>Marks a string property holding JSON that may outgrow a table property (64 KiB); see <see cref="EntityStore{T}"/>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class LargeJsonAttribute : Attribute;

/// <summary>
/// Storage for one kind of object in its own table. Access patterns, all within the workspace partition:
/// point reads by row key (the zero-padded id), lists as a row-key range scan (ids only, so the counter and
/// name rows that share the partition are excluded), and, for kinds with unique names, a name row per object
/// written in the same entity-group transaction as the object, so that two creates with one name cannot both win.
/// Ids come from a counter row updated under its ETag, so concurrent creates never get the same id.
/// Large JSON properties live in blobs named afresh on every write (see <see cref="SpillAsync"/>), so the entity a
/// conditional write commits always points at the content that write uploaded.
/// </summary>
public sealed class EntityStore<T>
    where T : EntityBase, new()
{
    private const string CounterRowKey = "~counter";
    private const string NameRowPrefix = "~name~";
    private const string SpillMarker = "@blob:";

    // Table strings are UTF-16: 64 KiB is 32K chars; stay well under it so other columns fit too.
    private const int MaxInlineChars = 30_000;

    // Optimistic writes to one row (the id counter, or one object) start over when another writer got there first.
    // Twenty concurrent creates need at most twenty rounds; beyond this many the row is too hot to wait for, and
    // the caller gets a 503 with Retry-After instead of an unbounded wait.
    internal const int MaxWriteAttempts = 40;

    private static readonly PropertyInfo[] LargeJsonProperties = typeof(T)
        .GetProperties()
        .Where(p => p.PropertyType == typeof(string) && p.GetCustomAttribute<LargeJsonAttribute>() is not null)
        .ToArray();

    private readonly StorageContext _storage;
    private readonly TableClient _table;
    private readonly string _spillContainer;
    private readonly string _spillPrefix;
    private readonly TimeProvider _time;

    public EntityStore(StorageContext storage, string tableName, string kind, TimeProvider time)
    {
        _storage = storage;
        _table = storage.Table(tableName);
        Kind = kind;
        _spillContainer = storage.Names.ArtifactsContainer;
        _spillPrefix = $"entities/{kind.ToLowerInvariant()}/";
        _time = time;
    }

    /// <summary>The object kind as users see it ("Dataset"), used in error messages.</summary>
    public string Kind { get; }

    public async Task<T?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await _storage.EnsureReadyAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var response = await _table.GetEntityIfExistsAsync<T>(EntityBase.Workspace, EntityBase.RowKeyFor(id), cancellationToken: cancellationToken);
            if (!response.HasValue || response.Value is null)
            {
                return null;
            }

            var entity = response.Value;
            if (await ReadSpilledAsync(entity, cancellationToken))
            {
                return entity;
            }

            if (attempt == MaxWriteAttempts)
            {
                throw new StorageContentionException($"{Kind} {id} is being rewritten too often to be read; retry shortly.");
            }

            // A writer replaced the object (and deleted the blob this version pointed at) between the two reads.
        }
    }

    public async Task<T> GetAsync(long id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken) ?? throw new EntityNotFoundException(Kind);

    /// <summary>Lists every object in id order; <paramref name="filter"/> narrows the partition scan (built with CreateQueryFilter).</summary>
    public async Task<List<T>> ListAsync(string? filter, CancellationToken cancellationToken) =>
        (await ListPageAsync(filter, afterId: null, limit: null, cancellationToken)).Items;

    /// <summary>
    /// One page of objects in id order: those with an id above <paramref name="afterId"/>, at most
    /// <paramref name="limit"/> of them (all when null). <see cref="EntityPage{T}.HasMore"/> says whether a next page
    /// exists; it starts after the last item's id. Access pattern: a row-key range scan of the workspace partition
    /// starting at the page's first possible row key, so a page costs the same wherever it is in the table.
    /// </summary>
    public async Task<EntityPage<T>> ListPageAsync(string? filter, long? afterId, int? limit, CancellationToken cancellationToken)
    {
        await _storage.EnsureReadyAsync(cancellationToken);
        var range = TableClient.CreateQueryFilter(
            $"PartitionKey eq {EntityBase.Workspace} and RowKey gt {EntityBase.RowKeyFor(afterId ?? 0)} and RowKey le {EntityBase.RowKeyFor(long.MaxValue)}");
        var query = filter is null ? range : $"{range} and ({filter})";
        var result = new List<T>();
        var hasMore = false;
        // One extra row tells whether a next page exists, so the last page announces none.
        var pageSize = limit is { } l ? Math.Min(l + 1, 1000) : (int?)null;
        await foreach (var entity in _table.QueryAsync<T>(query, maxPerPage: pageSize, cancellationToken: cancellationToken))
        {
            if (result.Count == limit)
            {
                hasMore = true;
                break;
            }

            result.Add(entity);
        }

        var items = new List<T>(result.Count);
        foreach (var entity in result)
        {
            // An object replaced while the page was read is taken as it is now, or left out if it is gone.
            var current = await ReadSpilledAsync(entity, cancellationToken) ? entity : await FindAsync(entity.Id, cancellationToken);
            if (current is not null)
            {
                items.Add(current);
            }
        }

        return new EntityPage<T>(items, hasMore);
    }

    public async Task<bool> AnyAsync(string filter, CancellationToken cancellationToken)
    {
        await _storage.EnsureReadyAsync(cancellationToken);
        var range = TableClient.CreateQueryFilter(
            $"PartitionKey eq {EntityBase.Workspace} and RowKey ge {EntityBase.RowKeyFor(0)} and RowKey le {EntityBase.RowKeyFor(long.MaxValue)}");
        await foreach (var page in _table.QueryAsync<TableEntity>($"{range} and ({filter})", maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken).AsPages())
        {
            if (page.Values.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether an object of this kind already holds <paramref name="name"/> (a point read of its name row).</summary>
    public async Task<bool> NameExistsAsync(string name, CancellationToken cancellationToken)
    {
        await _storage.EnsureReadyAsync(cancellationToken);
        var row = NameRow(name, 0);
        var found = await _table.GetEntityIfExistsAsync<TableEntity>(row.PartitionKey, row.RowKey, select: ["RowKey"], cancellationToken: cancellationToken);
        return found.HasValue;
    }

    /// <summary>Reserves the next id without writing the object (for callers that write blobs under the id first).</summary>
    public async Task<long> NextIdAsync(CancellationToken cancellationToken)
    {
        await _storage.EnsureReadyAsync(cancellationToken);
        for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
        {
            var counter = await _table.GetEntityIfExistsAsync<TableEntity>(EntityBase.Workspace, CounterRowKey, cancellationToken: cancellationToken);
            try
            {
                if (!counter.HasValue || counter.Value is null)
                {
                    await _table.AddEntityAsync(new TableEntity(EntityBase.Workspace, CounterRowKey) { ["Value"] = 1L }, cancellationToken);
                    return 1;
                }

                var next = (counter.Value.GetInt64("Value") ?? 0) + 1;
                counter.Value["Value"] = next;
                await _table.UpdateEntityAsync(counter.Value, counter.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return next;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another create took this id first: read the counter again, after a short random pause so the
                // writers that collided do not collide again in lockstep.
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }

        throw new StorageContentionException($"Too many {Kind.ToLowerInvariant()}s are being created at once; retry shortly.");
    }

    /// <summary>Creates the object with a fresh id (or <paramref name="reservedId"/>); a duplicate unique name is a 409.</summary>
    public async Task<T> CreateAsync(T entity, CancellationToken cancellationToken, long? reservedId = null)
    {
        entity.Id = reservedId ?? await NextIdAsync(cancellationToken);
        entity.PartitionKey = EntityBase.Workspace;
        entity.RowKey = EntityBase.RowKeyFor(entity.Id);
        entity.Created = entity.LastModified = _time.GetUtcNow();

        var spill = await SpillAsync(entity, cancellationToken);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, entity) };
        if (entity.UniqueName is { } name)
        {
            actions.Add(new(TableTransactionActionType.Add, NameRow(name, entity.Id)));
        }

        await SubmitAsync(actions, entity, spill, e => e.Status == 409 ? new DuplicateNameException(Kind, entity.UniqueName) : e, cancellationToken);
        spill.Commit(entity);
        return entity;
    }

    /// <summary>
    /// Replaces the object if its stored ETag still equals <paramref name="ifMatch"/> (412 otherwise);
    /// <paramref name="previousName"/> is the unique name it had when read, so a rename moves its name row atomically.
    /// </summary>
    public async Task<T> UpdateAsync(T entity, ETag ifMatch, string? previousName, CancellationToken cancellationToken)
    {
        entity.LastModified = _time.GetUtcNow();
        var spill = await SpillAsync(entity, cancellationToken);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, entity, ifMatch) };
        var newName = entity.UniqueName;
        if (newName != previousName)
        {
            if (newName is not null)
            {
                actions.Add(new(TableTransactionActionType.Add, NameRow(newName, entity.Id)));
            }

            if (previousName is not null)
            {
                actions.Add(new(TableTransactionActionType.Delete, NameRow(previousName, entity.Id), ETag.All));
            }
        }

        await SubmitAsync(actions, entity, spill, e => TranslateWriteFailure(e, entity), cancellationToken);
        var superseded = spill.Commit(entity);
        await DeleteBlobsAsync(superseded, cancellationToken);
        return entity;
    }

    /// <summary>
    /// Reads the object, applies <paramref name="change"/> and writes it under the ETag it was read with, starting
    /// over when someone else wrote in between. <paramref name="change"/> returns false to leave the object alone.
    /// Returns the written object, or null when it does not exist or the change declined.
    /// </summary>
    public async Task<T?> ChangeAsync(long id, Func<T, bool> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
        {
            var entity = await FindAsync(id, cancellationToken);
            var previousName = entity?.UniqueName;
            if (entity is null || !change(entity))
            {
                return null;
            }

            try
            {
                return await UpdateAsync(entity, entity.ETag, previousName, cancellationToken);
            }
            catch (StaleEntityException)
            {
                // Changed under us: read again and reapply.
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }

        throw new StorageContentionException($"{Kind} {id} is being changed by too many writers at once; retry shortly.");
    }

    /// <summary>Deletes the object (and its name row) if its ETag still matches.</summary>
    public async Task DeleteAsync(T entity, ETag ifMatch, CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, entity, ifMatch) };
        if (entity.UniqueName is { } name)
        {
            actions.Add(new(TableTransactionActionType.Delete, NameRow(name, entity.Id), ETag.All));
        }

        try
        {
            await _table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException e)
        {
            throw TranslateWriteFailure(e, entity);
        }

        await DeleteBlobsAsync(entity.Spills.Values.Select(s => s.BlobName), cancellationToken);
        entity.Spills = [];
    }

    /// <summary>
    /// Submits a create or update and takes the entity's new ETag. When the write does not commit, the stored entity
    /// still points at the blobs it had, so the entity gets its own JSON back and only this attempt's uploads (orphans)
    /// are deleted; a failed transaction is rethrown as <paramref name="translate"/> words it.
    /// </summary>
    private async Task SubmitAsync(List<TableTransactionAction> actions, T entity, SpillPlan spill, Func<TableTransactionFailedException, Exception> translate, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            entity.ETag = response.Value[0].Headers.ETag ?? default;
        }
        catch (Exception e)
        {
            spill.Restore(entity);
            await DeleteBlobsAsync(spill.Uploaded, cancellationToken);
            if (e is TableTransactionFailedException failed && translate(failed) is var replacement && replacement != e)
            {
                throw replacement;
            }

            throw;
        }
    }

    private Exception TranslateWriteFailure(TableTransactionFailedException e, T entity) => e.Status switch
    {
        409 => new DuplicateNameException(Kind, entity.UniqueName),
        412 => new StaleEntityException(Kind),
        404 => new EntityNotFoundException(Kind),
        _ => e,
    };

    private static TableEntity NameRow(string name, long id) =>
        new(EntityBase.Workspace, NameRowPrefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(name)).Replace('/', '_').Replace('+', '-'))
        {
            ["OwnerId"] = id,
        };

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 + (10 * Math.Min(attempt, 10))));

    /// <summary>
    /// Moves JSON too big for a table property into a blob and leaves a reference in its place. Content that is
    /// still what the object had when read keeps its blob (a heartbeat re-uploads nothing); new content goes to a
    /// blob with a new name, so the blob an entity points at is never overwritten: a write that loses its ETag race
    /// or fails leaves the stored entity's blobs intact and deletes only its own upload, and the blobs a committed
    /// write supersedes are deleted after it commits.
    /// </summary>
    private async Task<SpillPlan> SpillAsync(T entity, CancellationToken cancellationToken)
    {
        var plan = new SpillPlan(entity.Spills);
        foreach (var property in LargeJsonProperties)
        {
            if (property.GetValue(entity) is not string { Length: > MaxInlineChars } json)
            {
                continue;
            }

            string blobName;
            if (entity.Spills.TryGetValue(property.Name, out var kept) && string.Equals(kept.Json, json, StringComparison.Ordinal))
            {
                blobName = kept.BlobName;
            }
            else
            {
                blobName = $"{_spillPrefix}{entity.Id}/{property.Name.ToLowerInvariant()}-{Guid.NewGuid():N}.json";
                await _storage.Container(_spillContainer).GetBlobClient(blobName)
                    .UploadAsync(BinaryData.FromString(json), overwrite: false, cancellationToken);
                plan.Uploaded.Add(blobName);
            }

            plan.Spilled[property] = new SpilledJson(blobName, json);
            property.SetValue(entity, SpillMarker + blobName);
        }

        return plan;
    }

    private async Task DeleteBlobsAsync(IEnumerable<string> blobNames, CancellationToken cancellationToken)
    {
        var container = _storage.Container(_spillContainer);
        foreach (var name in blobNames)
        {
            await container.DeleteBlobIfExistsAsync(name, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Replaces blob references with their content; false when a referenced blob is gone (the object was replaced since).</summary>
    private async Task<bool> ReadSpilledAsync(T entity, CancellationToken cancellationToken)
    {
        var spills = new Dictionary<string, SpilledJson>();
        foreach (var property in LargeJsonProperties)
        {
            if (property.GetValue(entity) is string value && value.StartsWith(SpillMarker, StringComparison.Ordinal))
            {
                var blobName = value[SpillMarker.Length..];
                try
                {
                    var content = await _storage.Container(_spillContainer).GetBlobClient(blobName).DownloadContentAsync(cancellationToken);
                    var json = content.Value.Content.ToString();
                    property.SetValue(entity, json);
                    spills[property.Name] = new SpilledJson(blobName, json);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    return false;
                }
            }
        }

        entity.Spills = spills;
        return true;
    }

    /// <summary>One write's spilled properties: what it uploaded, and what the object points at once it commits.</summary>
    private sealed class SpillPlan(Dictionary<string, SpilledJson> before)
    {
        public Dictionary<PropertyInfo, SpilledJson> Spilled { get; } = [];

        public List<string> Uploaded { get; } = [];

        /// <summary>Puts the JSON back into the object's properties (the caller keeps using the object).</summary>
        public void Restore(T entity)
        {
            foreach (var (property, spilled) in Spilled)
            {
                property.SetValue(entity, spilled.Json);
            }
        }

        /// <summary>After a committed write: restores the JSON, records the new blobs and returns the superseded ones.</summary>
        public List<string> Commit(T entity)
        {
            Restore(entity);
            entity.Spills = Spilled.ToDictionary(p => p.Key.Name, p => p.Value);
            var live = entity.Spills.Values.Select(s => s.BlobName).ToHashSet(StringComparer.Ordinal);
            return before.Values.Select(s => s.BlobName).Where(name => !live.Contains(name)).ToList();
        }
    }
}

/// <summary>A page of a list: the objects, and whether more follow the last one.</summary>
public sealed record EntityPage<T>(List<T> Items, bool HasMore);
