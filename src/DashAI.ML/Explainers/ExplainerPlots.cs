using DashAI.ML.Plots;
using ScottPlot;

namespace DashAI.ML.Explainers;

/// <summary>The charts of the explainers, 1200 × 800 PNG, titled with the model and labelled with the column names and the metric.</summary>
internal static class ExplainerPlots
{
    /// <summary>The most bars a chart shows (the most important or largest ones).</summary>
    public const int MaxBars = 30;

    /// <summary>Horizontal bars with error bars (one standard deviation over the repeats), most important at the top.</summary>
    public static byte[] Importance(ImportanceResult result, string modelName)
    {
        var plot = ChartStyle.NewPlot();
        var shown = Math.Min(result.Features.Count, MaxBars);
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var i = 0; i < shown; i++)
        {
            var position = shown - 1 - i;
            bars.Add(new Bar
            {
                Position = position,
                Value = result.Mean[i],
                Error = result.Std[i],
                FillColor = Colors.SteelBlue,
                Orientation = Orientation.Horizontal,
            });
            ticks.Add(new Tick(position, ChartStyle.Clip(result.Features[i]), isMajor: true));
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Margins(left: 0.05, right: 0.1, bottom: 0.02, top: 0.02);
        var of = result.Features.Count > shown ? $" (top {shown} of {result.Features.Count} columns)" : "";
        plot.Title($"Permutation feature importance: {modelName}{of}");
        plot.XLabel($"Decrease in {result.Scoring} when the column is shuffled ({result.Split} split, {result.Rows:N0} rows, {result.Repeats} repeats; bars: ± 1 std)");
        plot.YLabel("Input column");
        return ChartStyle.Png(plot);
    }

    /// <summary>One panel per column: the average prediction (one line per class for classification) over its grid.</summary>
    public static byte[] Dependence(DependenceResult result, string modelName)
    {
        var panels = new List<Plot>();
        foreach (var curve in result.Curves)
        {
            var panel = ChartStyle.NewPlot();
            panel.Axes.Title.Label.FontSize = 15;
            var xs = curve.Numeric ? [.. curve.NumericGrid] : Enumerable.Range(0, curve.Points).Select(i => (double)i).ToArray();
            for (var output = 0; output < curve.Average.Length; output++)
            {
                var line = curve.Points == 1 || !curve.Numeric
                    ? panel.Add.Scatter(xs, curve.Average[output])
                    : panel.Add.ScatterLine(xs, curve.Average[output]);
                line.Color = panel.Add.Palette.GetColor(output);
                line.LineWidth = 2;
                line.MarkerSize = curve.Numeric ? 0 : 8;
                if (result.Classification)
                {
                    line.LegendText = ChartStyle.Clip(result.Outputs[output], 16);
                }
            }

            if (!curve.Numeric)
            {
                var ticks = curve.CategoryGrid.Select((c, i) => new Tick(i, ChartStyle.Clip(c, 12), isMajor: true)).ToArray();
                panel.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
                panel.Axes.Bottom.TickLabelStyle.Rotation = curve.Points > 6 ? 45 : 0;
                panel.Axes.Bottom.TickLabelStyle.Alignment = curve.Points > 6 ? Alignment.MiddleLeft : Alignment.UpperCenter;
            }

            if (result.Classification && curve == result.Curves[0])
            {
                panel.ShowLegend(Alignment.UpperRight);
            }

            panel.Title($"Partial dependence on {ChartStyle.Clip(curve.Feature)}");
            panel.XLabel(ChartStyle.Clip(curve.Feature, 40));
            panel.YLabel(result.Classification ? "Average class probability" : $"Average predicted {ChartStyle.Clip(result.Outputs[0], 24)}");
            panels.Add(panel);
        }

        panels[0].Title($"{modelName}: partial dependence on {ChartStyle.Clip(result.Curves[0].Feature)}");
        return ChartStyle.Png(panels);
    }

    /// <summary>One row's contributions as horizontal bars (largest magnitude at the top; positive and negative in two colours).</summary>
    public static byte[] Contributions(ContributionsResult result, int rowIndex, string modelName)
    {
        var row = result.Rows[rowIndex];
        var order = Enumerable.Range(0, result.Columns.Count).OrderByDescending(c => Math.Abs(row.Contributions[c])).ThenBy(c => c).Take(MaxBars).ToList();
        var plot = ChartStyle.NewPlot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var i = 0; i < order.Count; i++)
        {
            var position = order.Count - 1 - i;
            var value = row.Contributions[order[i]];
            bars.Add(new Bar
            {
                Position = position,
                Value = value,
                FillColor = value >= 0 ? Colors.FireBrick : Colors.SteelBlue,
                Orientation = Orientation.Horizontal,
            });
            ticks.Add(new Tick(position, ChartStyle.Clip(result.Columns[order[i]]), isMajor: true));
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        var method = result.Method == ContributionMethod.Linear ? "exact, linear model" : $"sampling Shapley values, {result.Samples} samples";
        plot.Title($"Row {rowIndex + 1}: {modelName} predicts {ChartStyle.Clip(row.Prediction)}");
        plot.XLabel($"Contribution to the {row.Explained} ({method}; base {Explainer.Format(row.BaseValue)} → {Explainer.Format(row.OutputValue)})");
        plot.YLabel("Input column");
        return ChartStyle.Png(plot);
    }
}
