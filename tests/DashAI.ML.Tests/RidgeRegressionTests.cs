using System.Text.Json.Nodes;
using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Training;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace DashAI.ML.Tests;

public class RidgeRegressionTests
{
    private const int FeatureCount = 3;

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(1.0, true)]
    [InlineData(25.0, true)]
    [InlineData(1.0, false)]
    public void WeightsMatchADirectLeastSquaresSolution(double alpha, bool fitIntercept)
    {
        var rows = KnownProblem(rows: 40, offset: 3);
        var expected = DirectRidge(rows, alpha, fitIntercept);

        var model = Fit(rows, alpha, fitIntercept).Model;

        AssertModel(expected.Weights, expected.Bias, model);
    }

    [Fact]
    public void ALargerAlphaShrinksTheWeights()
    {
        var rows = KnownProblem(rows: 40, offset: 0);

        var norms = new[] { 0.0, 1.0, 10.0, 100.0 }.Select(alpha => Norm(Fit(rows, alpha, fitIntercept: true).Model.Weights)).ToList();

        for (var i = 1; i < norms.Count; i++)
        {
            Assert.True(norms[i] < norms[i - 1], $"weight norms by alpha: {string.Join(", ", norms)}");
        }
    }

    [Fact]
    public void WithoutAnInterceptTheModelPassesThroughTheOrigin()
    {
        var rows = KnownProblem(rows: 40, offset: 5);
        var mlContext = new MLContext(seed: 0);
        var model = Fit(rows, alpha: 1.0, fitIntercept: false, mlContext);
        var withIntercept = Fit(rows, alpha: 1.0, fitIntercept: true, mlContext);

        var atOrigin = Score(mlContext, model, [new Row { Features = new float[FeatureCount], Label = 0 }]);

        Assert.Equal(0f, model.Model.Bias);
        Assert.Equal(0f, atOrigin.Single());
        Assert.True(Math.Abs(withIntercept.Model.Bias) > 1, $"the data has an offset: intercept {withIntercept.Model.Bias}");
    }

    [Fact]
    public void ASavedModelLoadsAndPredictsTheSame()
    {
        var rows = KnownProblem(rows: 40, offset: 2);
        var mlContext = new MLContext(seed: 0);
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var model = Fit(rows, alpha: 1.0, fitIntercept: true, mlContext);
        using var stream = new MemoryStream();
        mlContext.Model.Save(model, data.Schema, stream);
        stream.Position = 0;

        var loaded = new MLContext(seed: 1).Model.Load(stream, out _);

        Assert.Equal(Score(mlContext, model, rows), Score(mlContext, loaded, rows));
        Assert.IsType<RegressionPredictionTransformer<LinearRegressionModelParameters>>(loaded);
    }

    [Fact]
    public void TrainedRunModelReproducesItsTestMetricsAfterLoading()
    {
        var data = TestData.Diabetes;
        var result = Trainer.Train(data.Request("RegressionTask", "RidgeRegressor"), null, CancellationToken.None);
        using var stream = new MemoryStream();
        result.SaveModel(stream);
        stream.Position = 0;

        var mlContext = new MLContext(seed: 0);
        var model = mlContext.Model.Load(stream, out _);
        var scored = model.Transform(CanonicalCsv.CreateLoader(mlContext, data.Schema).Load(data.TestPath));
        var predicted = scored.GetColumn<float>(TrainingPipeline.PredictedLabelColumn).Select(v => (double)v).ToList();
        var actual = scored.GetColumn<float>("progression").Select(v => (double)v).ToList();

        var mean = actual.Average();
        var r2 = 1 - (actual.Zip(predicted, (a, p) => (a - p) * (a - p)).Sum() / actual.Sum(a => (a - mean) * (a - mean)));
        Assert.Equal(result.Metrics[SplitNames.Test]["r2"], r2, 1e-5);
        Assert.InRange(r2, 0.2, 1.0);
    }

    [Fact]
    public void DefaultsAreScikitLearnsAndTheSchemaBoundsAlpha()
    {
        var filled = ComponentRegistry.ValidateAndFillDefaults("RidgeRegressor", "RegressionTask", null);
        var ordinaryLeastSquares = ComponentRegistry.ValidateAndFillDefaults("RidgeRegressor", "RegressionTask", new JsonObject { ["alpha"] = 0 });

        Assert.Equal(1.0, filled["alpha"]!.GetValue<double>());
        Assert.True(filled["fit_intercept"]!.GetValue<bool>());
        Assert.Equal(0, ordinaryLeastSquares["alpha"]!.GetValue<double>());
        var negative = Assert.Throws<InvalidInputException>(() =>
            ComponentRegistry.ValidateAndFillDefaults("RidgeRegressor", "RegressionTask", new JsonObject { ["alpha"] = -1 }));
        Assert.Contains(negative.Errors, e => e.Contains("alpha", StringComparison.Ordinal));
        var notBoolean = Assert.Throws<InvalidInputException>(() =>
            ComponentRegistry.ValidateAndFillDefaults("RidgeRegressor", "RegressionTask", new JsonObject { ["fit_intercept"] = "yes" }));
        Assert.Contains(notBoolean.Errors, e => e.Contains("fit_intercept", StringComparison.Ordinal));
    }

    [Fact]
    public void TooManyFeaturesIsInvalidInputNamingTheAlternative()
    {
        var mlContext = new MLContext(seed: 0);
        var wide = RidgeRegressionTrainer.MaximumFeatureCount + 1;
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, wide);
        var data = mlContext.Data.LoadFromEnumerable([new Row { Features = new float[wide], Label = 1 }], schema);

        var error = Assert.Throws<InvalidInputException>(() => Ridge(mlContext, 1.0, true).Fit(data));

        Assert.Contains("SdcaRegressor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CancellingTheContextStopsThePass()
    {
        var mlContext = new MLContext(seed: 0);
        var data = mlContext.Data.LoadFromEnumerable(KnownProblem(rows: 10_000, offset: 0));
        using var cancellation = new CancellationTokenSource();
        using var registration = mlContext.CancelOn(cancellation.Token);
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => Ridge(mlContext, 1.0, true).Fit(data));
    }

    [Fact]
    public void SparseFeatureRowsGiveTheSameModelAsDenseOnes()
    {
        var rows = KnownProblem(rows: 40, offset: 1);
        foreach (var row in rows.Where((_, i) => i % 3 == 0))
        {
            row.Features[1] = 0;
        }

        var mlContext = new MLContext(seed: 0);
        var sparseRows = rows.Select(r => new SparseRow { Features = Sparse(r.Features), Label = r.Label }).ToList();

        var dense = Ridge(mlContext, 1.0, true).Fit(mlContext.Data.LoadFromEnumerable(rows)).Model;
        var sparse = Ridge(mlContext, 1.0, true).Fit(mlContext.Data.LoadFromEnumerable(sparseRows)).Model;

        Assert.Equal(dense.Weights.ToArray(), sparse.Weights.ToArray());
        Assert.Equal(dense.Bias, sparse.Bias);
        Assert.Contains(sparseRows, r => !r.Features.IsDense);
    }

    [Fact]
    public void ManyRowsReadOnParallelCursorsGiveTheDirectSolution()
    {
        // 1,000 rows: several full blocks of dense rows plus a partial one, read through a cache that
        // hands out one cursor per core.
        var rows = KnownProblem(rows: 1000, offset: 2);
        var expected = DirectRidge(rows, 1.0, fitIntercept: true);
        var mlContext = new MLContext(seed: 0);
        var cached = mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(rows));

        var model = Ridge(mlContext, 1.0, true).Fit(cached).Model;

        AssertModel(expected.Weights, expected.Bias, model);
    }

    [Fact]
    public void FittingTwiceOnParallelCursorsGivesTheSameModelToTheLastBit()
    {
        var rows = KnownProblem(rows: 5000, offset: 2);
        var mlContext = new MLContext(seed: 0);
        var cached = mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(rows));

        var models = Enumerable.Range(0, 4).Select(_ => Ridge(mlContext, 1.0, true).Fit(cached).Model).ToList();

        Assert.All(models, m => Assert.Equal(models[0].Weights.ToArray(), m.Weights.ToArray()));
        Assert.All(models, m => Assert.Equal(models[0].Bias, m.Bias));
    }

    [Fact]
    public void RowsWithANonFiniteValueAreLeftOutOfTheSums()
    {
        var rows = KnownProblem(rows: 600, offset: 1);
        var withBadRows = new List<Row>(rows);
        withBadRows.Insert(10, new Row { Features = [1, float.NaN, 2], Label = 3 });
        withBadRows.Insert(300, new Row { Features = [float.PositiveInfinity, 1, 2], Label = 3 });
        withBadRows.Insert(500, new Row { Features = [1, 1, 2], Label = float.NaN });
        var mlContext = new MLContext(seed: 0);

        var clean = Fit(rows, 1.0, true, mlContext).Model;
        var dirty = Fit(withBadRows, 1.0, true, mlContext).Model;

        AssertModel([.. clean.Weights.Select(w => (double)w)], clean.Bias, dirty);
    }

    [Fact]
    public void DenseAndSparseRowsMixedInOnePassGiveTheAllDenseModel()
    {
        var rows = KnownProblem(rows: 700, offset: 1);
        foreach (var row in rows.Where((_, i) => i % 4 == 0))
        {
            row.Features[2] = 0;
        }

        var mixed = rows.Select((r, i) => new SparseRow
        {
            Features = i % 2 == 0 ? Sparse(r.Features) : new VBuffer<float>(FeatureCount, r.Features),
            Label = r.Label,
        }).ToList();
        var mlContext = new MLContext(seed: 0);

        var dense = Fit(rows, 1.0, true, mlContext).Model;
        var both = Ridge(mlContext, 1.0, true).Fit(mlContext.Data.LoadFromEnumerable(mixed)).Model;

        Assert.Contains(mixed, r => !r.Features.IsDense);
        Assert.Contains(mixed, r => r.Features.IsDense);
        AssertModel([.. dense.Weights.Select(w => (double)w)], dense.Bias, both);
    }

    private static void AssertModel(double[] weights, double bias, LinearRegressionModelParameters model)
    {
        var actual = model.Weights.ToArray();
        for (var i = 0; i < FeatureCount; i++)
        {
            Assert.Equal(weights[i], actual[i], 1e-4);
        }

        Assert.Equal(bias, model.Bias, 1e-4);
    }

    private static VBuffer<float> Sparse(float[] values)
    {
        var indices = Enumerable.Range(0, values.Length).Where(i => values[i] != 0).ToArray();
        return new VBuffer<float>(values.Length, indices.Length, [.. indices.Select(i => values[i])], indices);
    }

    private static RidgeRegressionTrainer Ridge(MLContext mlContext, double alpha, bool fitIntercept) =>
        new(mlContext, new RidgeRegressionTrainer.Options(nameof(Row.Label), nameof(Row.Features), alpha, fitIntercept));

    private static RegressionPredictionTransformer<LinearRegressionModelParameters> Fit(
        List<Row> rows, double alpha, bool fitIntercept, MLContext? mlContext = null)
    {
        mlContext ??= new MLContext(seed: 0);
        return Ridge(mlContext, alpha, fitIntercept).Fit(mlContext.Data.LoadFromEnumerable(rows));
    }

    private static float[] Score(MLContext mlContext, ITransformer model, List<Row> rows) =>
        [.. model.Transform(mlContext.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score")];

    private static double Norm(IEnumerable<float> weights) => Math.Sqrt(weights.Sum(w => (double)w * w));

    /// <summary>y = 2·x0 − 3·x1 + 0.5·x2 + offset + noise, with correlated columns so the penalty matters.</summary>
    private static List<Row> KnownProblem(int rows, double offset)
    {
        var random = new Random(7);
        var list = new List<Row>();
        for (var r = 0; r < rows; r++)
        {
            var x0 = (random.NextDouble() * 4) - 2;
            var x1 = (0.6 * x0) + random.NextDouble() - 0.5;
            var x2 = (random.NextDouble() * 10) + 1;
            var y = (2 * x0) - (3 * x1) + (0.5 * x2) + offset + (random.NextDouble() - 0.5);
            list.Add(new Row { Features = [(float)x0, (float)x1, (float)x2], Label = (float)y });
        }

        return list;
    }

    /// <summary>
    /// Ridge as an ordinary least-squares problem solved by QR, never forming X'X: the centered rows
    /// (or raw rows without an intercept) stacked over √alpha·I, with zeros below the labels.
    /// </summary>
    private static (double[] Weights, double Bias) DirectRidge(List<Row> rows, double alpha, bool fitIntercept)
    {
        var x = Matrix<double>.Build.Dense(rows.Count, FeatureCount, (r, c) => rows[r].Features[c]);
        var y = Vector<double>.Build.Dense(rows.Count, r => rows[r].Label);
        var means = fitIntercept ? x.ColumnSums() / rows.Count : Vector<double>.Build.Dense(FeatureCount);
        var labelMean = fitIntercept ? y.Average() : 0;
        var centered = x - Matrix<double>.Build.Dense(rows.Count, FeatureCount, (_, c) => means[c]);
        var design = centered.Stack(Matrix<double>.Build.DenseDiagonal(FeatureCount, FeatureCount, Math.Sqrt(alpha)));
        var target = Vector<double>.Build.Dense(rows.Count + FeatureCount, r => r < rows.Count ? y[r] - labelMean : 0);

        var weights = design.QR().Solve(target);

        return (weights.ToArray(), labelMean - means.DotProduct(weights));
    }

    public sealed class SparseRow
    {
        [VectorType(FeatureCount)]
        public VBuffer<float> Features { get; set; }

        public float Label { get; set; }
    }

    public sealed class Row
    {
        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }
}
