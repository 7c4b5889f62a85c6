namespace DashAI.Functions.Datasets;

/// <summary>Blob names of a dataset's files in the datasets container; everything lives under <c>{id}/</c>.</summary>
public static class DatasetBlobs
{
    public static string Prefix(long datasetId) => $"{datasetId}/";

    /// <summary>The original upload, byte for byte.</summary>
    public static string Original(long datasetId) => $"{datasetId}/original";

    /// <summary>A split in canonical CSV (see <see cref="DashAI.ML.Data.DatasetSchema"/>).</summary>
    public static string Split(long datasetId, string split) => $"{datasetId}/splits/{split}.csv";
}
