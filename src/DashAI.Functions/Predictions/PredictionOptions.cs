namespace DashAI.Functions.Predictions;

/// <summary>Limits of predictions. Bound from configuration section <see cref="SectionName"/>.</summary>
public sealed class PredictionOptions
{
    public const string SectionName = "DashAI:Predictions";

    /// <summary>The most rows one <c>POST /run/{id}/predict</c> scores; more is a 413 pointing to batch predictions.</summary>
    public int MaxRows { get; set; } = 10_000;

    /// <summary>The largest body of <c>POST /run/{id}/predict</c>, in bytes (10 MB).</summary>
    public long MaxRequestBytes { get; set; } = 10_000_000;

    /// <summary>Memory the loaded models of one instance may take, in MB; the least recently used model goes first.</summary>
    public int ModelCacheMB { get; set; } = 512;
}
