using ScottPlot;

namespace DashAI.Functions.Search;

/// <summary>
/// The optimization history of a search as a PNG: the metric of every trial (full fits and trials stopped early
/// apart) and the best full trial so far as a step line. Fixed size and fonts, so the same trials draw the same image.
/// </summary>
public static class TrialPlot
{
    public const int Width = 800;
    public const int Height = 480;

    public static byte[] Draw(IReadOnlyList<TrialEntity> trials, string metric, bool higherIsBetter)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title("Optimization history");
        plot.XLabel("Trial");
        plot.YLabel($"Validation {metric}");

        var finished = trials.Where(t => t.Status == TrialStatus.Finished && t.Value is { } v && double.IsFinite(v)).ToList();
        var stopped = trials.Where(t => t.Status == TrialStatus.Stopped && t.Value is { } v && double.IsFinite(v)).ToList();
        if (finished.Count > 0)
        {
            var points = plot.Add.ScatterPoints(finished.Select(t => (double)t.Number).ToArray(), finished.Select(t => t.Value!.Value).ToArray());
            points.LegendText = "trial (fitted in full)";
            points.MarkerSize = 8;
        }

        if (stopped.Count > 0)
        {
            var points = plot.Add.ScatterPoints(stopped.Select(t => (double)t.Number).ToArray(), stopped.Select(t => t.Value!.Value).ToArray());
            points.LegendText = "trial (stopped early, value at its last rung)";
            points.MarkerSize = 6;
            points.MarkerShape = MarkerShape.OpenCircle;
        }

        if (finished.Count > 0)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            double? best = null;
            foreach (var trial in finished.OrderBy(t => t.Number))
            {
                var value = trial.Value!.Value;
                if (best is null || (higherIsBetter ? value > best : value < best))
                {
                    best = value;
                }

                xs.Add(trial.Number);
                ys.Add(best.Value);
            }

            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.LegendText = "best so far";
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }

        if (finished.Count + stopped.Count > 0)
        {
            plot.ShowLegend(Alignment.LowerRight);
        }

        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
