using ScottPlot;

namespace DashAI.ML.Plots;

/// <summary>
/// What every chart shares: its size, its font and its PNG encoding. Charts are drawn server-side with
/// ScottPlot (on SkiaSharp) and need no display. The font is the first of <see cref="FontCandidates"/> installed
/// (Debian's fonts-dejavu-core provides DejaVu Sans; CI installs it when missing), otherwise whatever sans font
/// ScottPlot finds, so the same data gives the same picture on a given machine.
/// </summary>
public static class ChartStyle
{
    public const int Width = 1200;
    public const int Height = 800;

    /// <summary>Fonts tried in order; their metrics decide the layout, so one fixed choice keeps charts stable.</summary>
    public static IReadOnlyList<string> FontCandidates { get; } = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Lato"];

    private static readonly Lazy<string> ChosenFont = new(() =>
        FontCandidates.FirstOrDefault(f => Fonts.GetTypeface(f, false, false) is { } typeface && typeface.FamilyName == f) ?? Fonts.Sans);

    /// <summary>The font family charts are drawn with.</summary>
    public static string FontName => ChosenFont.Value;

    /// <summary>Whether one of <see cref="FontCandidates"/> is installed (otherwise text may render with a fallback).</summary>
    public static bool HasPreferredFont => FontCandidates.Contains(FontName);

    /// <summary>A plot with the shared font and readable text sizes.</summary>
    public static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Axes.Title.Label.FontSize = 20;
        plot.Axes.Bottom.Label.FontSize = 16;
        plot.Axes.Left.Label.FontSize = 16;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        return plot;
    }

    /// <summary>The plot as a PNG of <see cref="Width"/> × <see cref="Height"/> pixels.</summary>
    public static byte[] Png(Plot plot)
    {
        ArgumentNullException.ThrowIfNull(plot);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Several plots in a grid, as one PNG of <see cref="Width"/> × <see cref="Height"/> pixels.</summary>
    public static byte[] Png(IReadOnlyList<Plot> panels)
    {
        ArgumentNullException.ThrowIfNull(panels);
        var columns = panels.Count <= 3 ? panels.Count : (int)Math.Ceiling(panels.Count / 2.0);
        var rows = (int)Math.Ceiling(panels.Count / (double)columns);
        var multiplot = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns) };
        multiplot.RemovePlot(multiplot.GetPlot(0));
        foreach (var panel in panels)
        {
            multiplot.AddPlot(panel);
        }

        return multiplot.Render(Width, Height).GetImageBytes(ImageFormat.Png);
    }

    /// <summary>Shortens a label to <paramref name="length"/> characters (an ellipsis marks the cut).</summary>
    public static string Clip(string text, int length = 28)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= length ? text : string.Concat(text.AsSpan(0, length - 1), "…");
    }
}
