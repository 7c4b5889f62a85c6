using ScottPlot;

namespace DashAI.ML.Plots;

/// <summary>One bar of a leaderboard chart: a run's label and its metric value (null when the metric is undefined for it).</summary>
public sealed record LeaderboardBar(string Label, double? Value);

/// <summary>The runs of an experiment side by side by one metric, in rank order (best on the left).</summary>
public static class LeaderboardChart
{
    public const int MaxBars = 30;

    public static byte[] Render(string experimentName, string metric, string split, bool higherIsBetter, IReadOnlyList<LeaderboardBar> bars)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var plot = ChartStyle.NewPlot();
        var shown = bars.Take(MaxBars).ToList();
        var ticks = new List<Tick>();
        var values = new List<Bar>();
        for (var i = 0; i < shown.Count; i++)
        {
            ticks.Add(new Tick(i, ChartStyle.Clip(shown[i].Label, 24), isMajor: true));
            if (shown[i].Value is { } value)
            {
                values.Add(new Bar
                {
                    Position = i,
                    Value = value,
                    FillColor = i == 0 ? Colors.DarkOrange : Colors.SteelBlue,
                    ValueLabel = value.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
                });
            }
        }

        if (values.Count > 0)
        {
            var barPlot = plot.Add.Bars(values);
            barPlot.ValueLabelStyle.FontSize = 13;
        }

        if (ticks.Count > 0)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
            plot.Axes.Bottom.TickLabelStyle.Rotation = shown.Count > 6 ? 30 : 0;
            plot.Axes.Bottom.TickLabelStyle.Alignment = shown.Count > 6 ? Alignment.MiddleLeft : Alignment.UpperCenter;
        }

        plot.Axes.Margins(bottom: 0, top: 0.1);
        var of = bars.Count > shown.Count ? $", best {shown.Count} of {bars.Count}" : "";
        plot.Title($"Runs of '{ChartStyle.Clip(experimentName, 40)}' by {metric} ({split} split{of})");
        plot.XLabel($"Run (model), best first: {(higherIsBetter ? "higher" : "lower")} {metric} is better");
        plot.YLabel($"{metric} on the {split} split");
        return ChartStyle.Png(plot);
    }
}
