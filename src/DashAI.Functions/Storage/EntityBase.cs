using System.Globalization;
using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace DashAI.Functions.Storage;

/// <summary>
/// Columns shared by every stored object. All objects of one kind live in one partition (the workspace),
/// so that every list is a single-partition query; row keys are zero-padded ids, so lexical order is id order.
/// </summary>
public abstract class EntityBase : ITableEntity
{
    /// <summary>One workspace until authentication lands; the partition key every object is stored under.</summary>
    public const string Workspace = "default";

    public string PartitionKey { get; set; } = Workspace;

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public long Id { get; set; }

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset LastModified { get; set; }

    /// <summary>
    /// The large JSON properties this object had in blobs when it was read (property name → blob and content), so
    /// that a write reuses a blob whose content did not change and deletes the ones it supersedes. Not stored.
    /// </summary>
    [IgnoreDataMember]
    internal Dictionary<string, SpilledJson> Spills { get; set; } = [];

    /// <summary>The unique name of the object, when its kind has unique names.</summary>
    [IgnoreDataMember]
    public virtual string? UniqueName => null;

    public static string RowKeyFor(long id) => id.ToString("D19", CultureInfo.InvariantCulture);
}

/// <summary>A large JSON property kept in a blob: the blob's name and the content it holds.</summary>
internal sealed record SpilledJson(string BlobName, string Json);
