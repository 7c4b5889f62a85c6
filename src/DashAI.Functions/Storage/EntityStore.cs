using System.Reflection;
using System.Text;
using Azure;
using Azure.Data.Tables;
using DashAI.Functions.Http;

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
/// </summary>
public sealed class EntityStore<T>
    where T : EntityBase, new()
{
    private const string CounterRowKey = "~counter";
    private const string NameRowPrefix = "~name~";
    private const string SpillMarker = "@blob:";

    // Table strings are UTF-16: 64 KiB is 32K chars; stay well under it so other columns fit too.
    private const int MaxInlineChars = 30_000;

    private static readonly PropertyInfo[] LargeJsonProperties = typeof(T)
        .GetProperties()
        .Where(p => p.PropertyType == typeof(string) && p.GetCustomAttribute<LargeJsonAttribute>() is not null)
        .ToArray();

    private readonly StorageContext _storage;
    private readonly TableClient _table;
    private readonly string _spillContainer;
    private readonly Func<long, string> _spillPrefix;
    private readonly TimeProvider _time;

    public EntityStore(StorageContext storage, string tableName, string kind, string spillContainer, Func<long, string> spillPrefix, TimeProvider time)
    {
        _storage = storage;
        _table = storage.Table(tableName);
        Kind = kind;
        _spillContainer = spillContainer;
        _spillPrefix = spillPrefix;
        _time = time;
    }

    /// <summary>The object kind as users see it ("Dataset"), used in error messages.</summary>
    public string Kind { get; }

    public async Task<T?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await _storage.EnsureReadyAsync(cancellationToken);
        var response = await _table.GetEntityIfExistsAsync<T>(EntityBase.Workspace, EntityBase.RowKeyFor(id), cancellationToken: cancellationToken);
        if (!response.HasValue || response.Value is null)
        {
            return null;
        }

        var entity = response.Value;
        await ReadSpilledAsync(entity, cancellationToken);
        return entity;
    }

    public async Task<T> GetAsync(long id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken) ?? throw new NotFoundException($"{Kind} not found");

    /// <summary>Lists objects in id order; <paramref name="filter"/> narrows the partition scan (built with CreateQueryFilter).</summary>
    public async Task<List<T>> ListAsync(string? filter, CancellationToken cancellationToken)
    {
        await _storage.EnsureReadyAsync(cancellationToken);
        var range = TableClient.CreateQueryFilter(
            $"PartitionKey eq {EntityBase.Workspace} and RowKey ge {EntityBase.RowKeyFor(0)} and RowKey le {EntityBase.RowKeyFor(long.MaxValue)}");
        var query = filter is null ? range : $"{range} and ({filter})";
        var result = new List<T>();
        await foreach (var entity in _table.QueryAsync<T>(query, cancellationToken: cancellationToken))
        {
            await ReadSpilledAsync(entity, cancellationToken);
            result.Add(entity);
        }

        return result;
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
        while (true)
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
                // Another create took this id first: read the counter again.
            }
        }
    }

    /// <summary>Creates the object with a fresh id (or <paramref name="reservedId"/>); a duplicate unique name is a 409.</summary>
    public async Task<T> CreateAsync(T entity, CancellationToken cancellationToken, long? reservedId = null)
    {
        entity.Id = reservedId ?? await NextIdAsync(cancellationToken);
        entity.PartitionKey = EntityBase.Workspace;
        entity.RowKey = EntityBase.RowKeyFor(entity.Id);
        entity.Created = entity.LastModified = _time.GetUtcNow();

        var spilled = await SpillAsync(entity, cancellationToken);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, entity) };
        if (entity.UniqueName is { } name)
        {
            actions.Add(new(TableTransactionActionType.Add, NameRow(name, entity.Id)));
        }

        try
        {
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            entity.ETag = response.Value[0].Headers.ETag ?? default;
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            await DeleteSpillAsync(entity.Id, spilled, cancellationToken);
            throw new ConflictException($"A {Kind.ToLowerInvariant()} named '{entity.UniqueName}' already exists.");
        }
        finally
        {
            Restore(entity, spilled);
        }

        return entity;
    }

    /// <summary>
    /// Replaces the object if its stored ETag still equals <paramref name="ifMatch"/> (412 otherwise);
    /// <paramref name="previousName"/> is the unique name it had when read, so a rename moves its name row atomically.
    /// </summary>
    public async Task<T> UpdateAsync(T entity, ETag ifMatch, string? previousName, CancellationToken cancellationToken)
    {
        entity.LastModified = _time.GetUtcNow();
        var spilled = await SpillAsync(entity, cancellationToken);
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

        try
        {
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            entity.ETag = response.Value[0].Headers.ETag ?? default;
        }
        catch (TableTransactionFailedException e)
        {
            throw TranslateWriteFailure(e, entity);
        }
        finally
        {
            Restore(entity, spilled);
        }

        return entity;
    }

    /// <summary>
    /// Reads the object, applies <paramref name="change"/> and writes it under the ETag it was read with, starting
    /// over when someone else wrote in between. <paramref name="change"/> returns false to leave the object alone.
    /// Returns the written object, or null when it does not exist or the change declined.
    /// </summary>
    public async Task<T?> ChangeAsync(long id, Func<T, bool> change, CancellationToken cancellationToken)
    {
        while (true)
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
            catch (PreconditionFailedException)
            {
                // Changed under us: read again and reapply.
            }
        }
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
    }

    private Exception TranslateWriteFailure(TableTransactionFailedException e, T entity) => e.Status switch
    {
        409 => new ConflictException($"A {Kind.ToLowerInvariant()} named '{entity.UniqueName}' already exists."),
        412 => new PreconditionFailedException($"The {Kind.ToLowerInvariant()} was changed by someone else; read it again and retry."),
        404 => new NotFoundException($"{Kind} not found"),
        _ => e,
    };

    private static TableEntity NameRow(string name, long id) =>
        new(EntityBase.Workspace, NameRowPrefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(name)).Replace('/', '_').Replace('+', '-'))
        {
            ["OwnerId"] = id,
        };

    /// <summary>Moves JSON too big for a table property into a blob and leaves a reference in its place.</summary>
    private async Task<Dictionary<PropertyInfo, string>> SpillAsync(T entity, CancellationToken cancellationToken)
    {
        var spilled = new Dictionary<PropertyInfo, string>();
        foreach (var property in LargeJsonProperties)
        {
            if (property.GetValue(entity) is string { Length: > MaxInlineChars } json)
            {
                var blobName = $"{_spillPrefix(entity.Id)}{property.Name.ToLowerInvariant()}.json";
                await _storage.Container(_spillContainer).GetBlobClient(blobName)
                    .UploadAsync(BinaryData.FromString(json), overwrite: true, cancellationToken);
                spilled[property] = json;
                property.SetValue(entity, SpillMarker + blobName);
            }
        }

        return spilled;
    }

    private static void Restore(T entity, Dictionary<PropertyInfo, string> spilled)
    {
        foreach (var (property, json) in spilled)
        {
            property.SetValue(entity, json);
        }
    }

    private async Task DeleteSpillAsync(long id, Dictionary<PropertyInfo, string> spilled, CancellationToken cancellationToken)
    {
        if (spilled.Count > 0)
        {
            await _storage.DeleteBlobsAsync(_spillContainer, _spillPrefix(id), cancellationToken);
        }
    }

    private async Task ReadSpilledAsync(T entity, CancellationToken cancellationToken)
    {
        foreach (var property in LargeJsonProperties)
        {
            if (property.GetValue(entity) is string value && value.StartsWith(SpillMarker, StringComparison.Ordinal))
            {
                var content = await _storage.Container(_spillContainer).GetBlobClient(value[SpillMarker.Length..])
                    .DownloadContentAsync(cancellationToken);
                property.SetValue(entity, content.Value.Content.ToString());
            }
        }
    }
}
