using System.Buffers.Binary;
using System.Text.Json.Nodes;
using DashAI.ML.Explainers;
using DashAI.ML.Plots;

namespace DashAI.ML.Tests.Explainers;

public class PlotTests
{
    [Fact]
    public void EveryExplainerPlotIsAValidPngOfTheStatedSize()
    {
        var regression = ExplainerTestData.Trained("RidgeRegressor", classification: false);
        var classification = ExplainerTestData.Trained("LightGbmClassifier", classification: true);
        var row = new JsonArray(new JsonObject { ["strong"] = 1.0, ["colour"] = "red" });

        var plots = new[]
        {
            regression.Explain(ExplainerCatalog.PermutationFeatureImportance).Plots,
            regression.Explain(ExplainerCatalog.PartialDependence).Plots,
            classification.Explain(ExplainerCatalog.PartialDependence, new JsonObject { ["features"] = new JsonArray("strong", "colour") }).Plots,
            classification.Explain(ExplainerCatalog.FeatureContributions, new JsonObject { ["rows"] = row, ["n_samples"] = 10 }).Plots,
        }.SelectMany(p => p).ToList();

        Assert.Equal(4, plots.Count);
        Assert.All(plots, png => AssertPng(png, ChartStyle.Width, ChartStyle.Height));
        Directory.CreateDirectory("plots");
        for (var i = 0; i < plots.Count; i++)
        {
            File.WriteAllBytes(Path.Combine("plots", $"explainer-{i}.png"), plots[i]);
        }
    }

    [Fact]
    public void ChartsUseAnInstalledFontOfTheFixedList()
    {
        Assert.True(ChartStyle.HasPreferredFont, $"none of {string.Join(", ", ChartStyle.FontCandidates)} is installed (apt-get install fonts-dejavu-core); charts would use {ChartStyle.FontName}");
    }

    /// <summary>Checks the PNG signature, the IHDR chunk's size and CRC, and that an IEND chunk closes the file.</summary>
    internal static void AssertPng(byte[] png, int width, int height)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.Equal(signature, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(29));
        Assert.Equal(crc, Crc32(png.AsSpan(12, 17)));
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(png, png.Length - 8, 4));
        Assert.True(png.Length > 10_000, $"a {png.Length}-byte PNG holds hardly anything");
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
