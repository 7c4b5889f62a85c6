namespace DashAI.Functions.Datasets;

/// <summary>Upload limits. Bound from configuration section <see cref="SectionName"/>.</summary>
public sealed class DatasetOptions
{
    public const string SectionName = "DashAI:Datasets";

    /// <summary>The largest upload (file or URL download) accepted, in bytes; the Functions front end's own default is 100 MB.</summary>
    public long MaxUploadBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>How long fetching a dataset from a URL may take, in seconds.</summary>
    public int UrlTimeoutSeconds { get; set; } = 120;
}
