using System.Runtime.Serialization;
using DashAI.Functions.Storage;

namespace DashAI.Functions.Datasets;

/// <summary>A dataset as stored in the <c>datasets</c> table. Its files live under <c>datasets/{id}/</c> in Blob Storage.</summary>
public sealed class DatasetEntity : EntityBase
{
    public string Name { get; set; } = "";

    public string TaskName { get; set; } = "";

    /// <summary>The blob prefix of the dataset's files: <c>{id}/</c> in the datasets container.</summary>
    public string FilePath { get; set; } = "";

    public string? Dataloader { get; set; }

    public string? FileName { get; set; }

    public long UploadBytes { get; set; }

    public string? Sha256 { get; set; }

    public long Rows { get; set; }

    /// <summary>JSON: split name → row count.</summary>
    public string? RowsPerSplit { get; set; }

    /// <summary>JSON: the inferred columns (name, type, missing and distinct counts).</summary>
    [LargeJson]
    public string? Columns { get; set; }

    [LargeJson]
    public string? InputColumns { get; set; }

    [LargeJson]
    public string? OutputColumns { get; set; }

    /// <summary>JSON: the split configuration the dataset was made with (sizes, seed, shuffle, stratify).</summary>
    public string? Splits { get; set; }

    /// <summary>JSON: the dataloader parameters the upload was read with.</summary>
    public string? DataloaderParams { get; set; }

    [IgnoreDataMember]
    public override string? UniqueName => Name;
}
