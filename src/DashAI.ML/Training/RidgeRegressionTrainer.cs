using System.Reflection;
using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace DashAI.ML.Training;

/// <summary>
/// Ridge regression solved in closed form: one pass over the featurized rows accumulates X'X and
/// X'y (the rows themselves are never held), then (X'X + alpha I) w = X'y is solved by Cholesky.
/// With an intercept the sums are centered first, so the intercept is not penalized (as in
/// scikit-learn's Ridge). The result is ML.NET's own linear regression transformer, so it saves,
/// loads and scores like the SDCA and online gradient descent regressors.
/// </summary>
public sealed class RidgeRegressionTrainer : IEstimator<RegressionPredictionTransformer<LinearRegressionModelParameters>>
{
    /// <summary>
    /// The normal equations hold a features × features matrix of doubles: 2,048 features take 32 MiB.
    /// Text and hashed categories featurize into far more slots; SdcaRegressor handles those.
    /// </summary>
    public const int MaximumFeatureCount = 2048;

    private const int CancellationCheckRows = 4096;

    private readonly MLContext _mlContext;
    private readonly Options _options;

    public RidgeRegressionTrainer(MLContext mlContext, Options options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Alpha >= 0) || double.IsInfinity(options.Alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Alpha, "Alpha must be a finite number of at least 0.");
        }

        _mlContext = mlContext;
        _options = options;
    }

    public sealed record Options(string LabelColumnName, string FeatureColumnName, double Alpha = 1.0, bool FitIntercept = true);

    public RegressionPredictionTransformer<LinearRegressionModelParameters> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var features = input.Schema.GetColumnOrNull(_options.FeatureColumnName)
            ?? throw new ArgumentException($"The data has no feature column '{_options.FeatureColumnName}'.", nameof(input));
        var label = input.Schema.GetColumnOrNull(_options.LabelColumnName)
            ?? throw new ArgumentException($"The data has no label column '{_options.LabelColumnName}'.", nameof(input));
        if (features.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: > 0 } vectorType || vectorType.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentException($"Feature column '{features.Name}' must be a vector of floats of known size.", nameof(input));
        }

        if (label.Type != NumberDataViewType.Single)
        {
            throw new ArgumentException($"Label column '{label.Name}' must be a float.", nameof(input));
        }

        if (vectorType.Size > MaximumFeatureCount)
        {
            throw new InvalidInputException(
                $"RidgeRegressor solves for all features at once and allows at most {MaximumFeatureCount}; this dataset featurizes into " +
                $"{vectorType.Size} (text and many-valued categories make many). Use SdcaRegressor for it.");
        }

        var sums = NormalEquations.Accumulate(input, features, label, vectorType.Size, LiveCheck());
        if (sums.Rows == 0)
        {
            throw new InvalidInputException("RidgeRegressor found no training row with a finite label and finite features.");
        }

        var (weights, bias) = sums.Solve(_options.Alpha, _options.FitIntercept);
        return LinearModelFactory.Create(_mlContext, weights, bias, input.Schema, _options.FeatureColumnName);
    }

    /// <summary>The columns a fitted model adds: the same as ML.NET's other linear regressors.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        _mlContext.Regression.Trainers.OnlineGradientDescent(_options.LabelColumnName, _options.FeatureColumnName).GetOutputSchema(inputSchema);

    /// <summary>Throws <see cref="OperationCanceledException"/> once the MLContext's execution was cancelled.</summary>
    private Action LiveCheck()
    {
        var isCanceled = LinearModelFactory.CancellationFlag(((IHostEnvironment)_mlContext).Register(nameof(RidgeRegressionTrainer)));
        return () =>
        {
            if (isCanceled())
            {
                throw new OperationCanceledException("Training was cancelled.");
            }
        };
    }

    /// <summary>Sums of one pass: X'X (upper triangle, row-major), X'y, the column sums, the label sum and the row count.</summary>
    internal sealed class NormalEquations
    {
        private NormalEquations(int featureCount)
        {
            FeatureCount = featureCount;
            Gram = new double[featureCount * featureCount];
            CrossProducts = new double[featureCount];
            FeatureSums = new double[featureCount];
        }

        public int FeatureCount { get; }

        public double[] Gram { get; }

        public double[] CrossProducts { get; }

        public double[] FeatureSums { get; }

        public double LabelSum { get; private set; }

        public long Rows { get; private set; }

        /// <summary>The id of the first row this part read (the maximum when it read none).</summary>
        public DataViewRowId FirstRow { get; private set; } = new(ulong.MaxValue, ulong.MaxValue);

        /// <summary>
        /// Sums the rows on as many cursors as the data offers up to one per core (ML.NET's cache hands
        /// each cursor its own share of the rows), each into its own sums, then adds the sums up.
        /// </summary>
        public static NormalEquations Accumulate(
            IDataView data, DataViewSchema.Column featureColumn, DataViewSchema.Column labelColumn, int featureCount, Action checkAlive)
        {
            var cursors = data.GetRowCursorSet([featureColumn, labelColumn], Math.Max(1, Environment.ProcessorCount));
            try
            {
                if (cursors.Length == 1)
                {
                    return Sum(cursors[0], featureColumn, labelColumn, featureCount, checkAlive);
                }

                var parts = new NormalEquations[cursors.Length];
                Parallel.For(0, cursors.Length, new ParallelOptions { MaxDegreeOfParallelism = cursors.Length }, i =>
                    parts[i] = Sum(cursors[i], featureColumn, labelColumn, featureCount, checkAlive));

                // Each cursor always gets the same rows (the cache deals its blocks out in turn), but which
                // thread starts first varies: adding the parts in the order of their first row keeps the
                // floating-point sums, and so the model, the same from one fit to the next.
                var ordered = parts.OrderBy(p => p.FirstRow).ToArray();
                var total = ordered[0];
                for (var i = 1; i < ordered.Length; i++)
                {
                    total.Merge(ordered[i]);
                }

                return total;
            }
            catch (AggregateException exception) when (exception.InnerExceptions.Count > 0)
            {
                ExceptionDispatchInfo.Throw(exception.InnerExceptions[0]);
                throw;
            }
            finally
            {
                foreach (var cursor in cursors)
                {
                    cursor.Dispose();
                }
            }
        }

        private static NormalEquations Sum(
            DataViewRowCursor cursor, DataViewSchema.Column featureColumn, DataViewSchema.Column labelColumn, int featureCount, Action checkAlive)
        {
            var sums = new NormalEquations(featureCount);
            var featureGetter = cursor.GetGetter<VBuffer<float>>(featureColumn);
            var labelGetter = cursor.GetGetter<float>(labelColumn);
            var idGetter = cursor.GetIdGetter();
            DataViewRowId id = default;
            VBuffer<float> row = default;
            var dense = new double[featureCount];
            var indices = new int[featureCount];
            var block = new DenseBlock(featureCount);
            float y = 0;
            long seen = 0;
            while (cursor.MoveNext())
            {
                if (++seen % CancellationCheckRows == 0)
                {
                    checkAlive();
                }
                else if (seen == 1)
                {
                    idGetter(ref id);
                    sums.FirstRow = id;
                }

                labelGetter(ref y);
                if (!float.IsFinite(y))
                {
                    continue;
                }

                featureGetter(ref row);
                if (row.IsDense)
                {
                    if (block.TryAdd(row.GetValues(), y) && block.IsFull)
                    {
                        block.AddTo(sums);
                    }

                    continue;
                }

                var count = Gather(row, dense, indices);
                if (count >= 0)
                {
                    sums.Add(dense, indices, count, y);
                }
            }

            block.AddTo(sums);
            return sums;
        }

        private void Merge(NormalEquations other)
        {
            for (var i = 0; i < Gram.Length; i++)
            {
                Gram[i] += other.Gram[i];
            }

            for (var i = 0; i < FeatureCount; i++)
            {
                CrossProducts[i] += other.CrossProducts[i];
                FeatureSums[i] += other.FeatureSums[i];
            }

            LabelSum += other.LabelSum;
            Rows += other.Rows;
        }

        /// <summary>
        /// Copies the row's non-zero values into <paramref name="values"/> (by position) and their
        /// positions into <paramref name="positions"/>; returns how many, or -1 when a value is not finite.
        /// </summary>
        private static int Gather(in VBuffer<float> row, double[] values, int[] positions)
        {
            var rowValues = row.GetValues();
            var count = 0;
            if (row.IsDense)
            {
                for (var i = 0; i < rowValues.Length; i++)
                {
                    var value = rowValues[i];
                    if (!float.IsFinite(value))
                    {
                        return -1;
                    }

                    if (value != 0)
                    {
                        values[i] = value;
                        positions[count++] = i;
                    }
                }

                return count;
            }

            var rowIndices = row.GetIndices();
            for (var k = 0; k < rowValues.Length; k++)
            {
                var value = rowValues[k];
                if (!float.IsFinite(value))
                {
                    return -1;
                }

                if (value != 0)
                {
                    values[rowIndices[k]] = value;
                    positions[count++] = rowIndices[k];
                }
            }

            return count;
        }

        private void Add(double[] values, int[] positions, int count, double y)
        {
            var gram = Gram;
            var n = FeatureCount;
            for (var p = 0; p < count; p++)
            {
                var i = positions[p];
                var xi = values[i];
                FeatureSums[i] += xi;
                CrossProducts[i] += xi * y;
                var rowStart = i * n;
                for (var q = p; q < count; q++)
                {
                    var j = positions[q];
                    gram[rowStart + j] += xi * values[j];
                }
            }

            LabelSum += y;
            Rows++;
        }

        /// <summary>
        /// Dense rows are summed a block at a time: the block holds each feature's values of up to
        /// <see cref="Capacity"/> rows side by side, so every X'X entry is one vectorized dot product
        /// per block instead of one multiply-add per row.
        /// </summary>
        private sealed class DenseBlock(int featureCount)
        {
            private const int Capacity = 256;

            private readonly double[] _columns = new double[featureCount * Capacity];
            private readonly double[] _labels = new double[Capacity];
            private int _rows;

            public bool IsFull => _rows == Capacity;

            /// <summary>Adds a dense row; false (and nothing added) when one of its values is not finite.</summary>
            public bool TryAdd(ReadOnlySpan<float> values, double y)
            {
                // A row with a value that is not finite is written but not counted: the next row overwrites it.
                for (var i = 0; i < values.Length; i++)
                {
                    var value = values[i];
                    if (!float.IsFinite(value))
                    {
                        return false;
                    }

                    _columns[(i * Capacity) + _rows] = value;
                }

                _labels[_rows++] = y;
                return true;
            }

            public void AddTo(NormalEquations sums)
            {
                if (_rows == 0)
                {
                    return;
                }

                var n = sums.FeatureCount;
                var labels = _labels.AsSpan(0, _rows);
                for (var i = 0; i < n; i++)
                {
                    var column = _columns.AsSpan(i * Capacity, _rows);
                    sums.FeatureSums[i] += TensorPrimitives.Sum<double>(column);
                    sums.CrossProducts[i] += TensorPrimitives.Dot<double>(column, labels);
                    var rowStart = i * n;
                    for (var j = i; j < n; j++)
                    {
                        sums.Gram[rowStart + j] += TensorPrimitives.Dot<double>(column, _columns.AsSpan(j * Capacity, _rows));
                    }
                }

                sums.LabelSum += TensorPrimitives.Sum<double>(labels);
                sums.Rows += _rows;
                _rows = 0;
            }
        }

        /// <summary>
        /// Solves for the weights and intercept. Centering (X'X − n·x̄x̄', X'y − n·x̄ȳ) is the
        /// least-squares fit of centered data, so alpha never shrinks the intercept. alpha = 0 with
        /// collinear features leaves the matrix singular: then the minimum-norm solution is taken.
        /// </summary>
        public (float[] Weights, float Bias) Solve(double alpha, bool fitIntercept)
        {
            var n = FeatureCount;
            var rows = (double)Rows;
            var means = new double[n];
            var labelMean = fitIntercept ? LabelSum / rows : 0;
            if (fitIntercept)
            {
                for (var i = 0; i < n; i++)
                {
                    means[i] = FeatureSums[i] / rows;
                }
            }

            var matrix = Matrix<double>.Build.Dense(n, n);
            var rightHandSide = Vector<double>.Build.Dense(n);
            for (var i = 0; i < n; i++)
            {
                for (var j = i; j < n; j++)
                {
                    var value = Gram[(i * n) + j] - (rows * means[i] * means[j]);
                    matrix[i, j] = value;
                    matrix[j, i] = value;
                }

                matrix[i, i] += alpha;
                rightHandSide[i] = CrossProducts[i] - (rows * means[i] * labelMean);
            }

            Vector<double> solution;
            try
            {
                solution = matrix.Cholesky().Solve(rightHandSide);
            }
            catch (ArgumentException)
            {
                // Not positive definite: alpha 0 with a constant or duplicated feature.
                solution = matrix.PseudoInverse() * rightHandSide;
            }

            var weights = new float[n];
            var bias = labelMean;
            for (var i = 0; i < n; i++)
            {
                weights[i] = (float)solution[i];
                bias -= means[i] * solution[i];
            }

            return (weights, (float)bias);
        }
    }

    /// <summary>
    /// ML.NET builds its linear regression transformer only inside its own trainers: the constructors
    /// of <see cref="LinearRegressionModelParameters"/> and of the prediction transformer are internal.
    /// They are called by reflection so the closed-form weights become a model that ML.NET saves and
    /// loads as its own; the lookups run once and fail loudly if a future ML.NET changes them.
    /// </summary>
    private static class LinearModelFactory
    {
        private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

        private static readonly ConstructorInfo ParametersConstructor =
            typeof(LinearRegressionModelParameters).GetConstructor(
                Instance, [typeof(IHostEnvironment), typeof(VBuffer<float>).MakeByRefType(), typeof(float)])
            ?? throw new MissingMethodException(nameof(LinearRegressionModelParameters), ".ctor(IHostEnvironment, in VBuffer<float>, float)");

        private static readonly ConstructorInfo TransformerConstructor =
            typeof(RegressionPredictionTransformer<LinearRegressionModelParameters>).GetConstructor(
                Instance, [typeof(IHostEnvironment), typeof(LinearRegressionModelParameters), typeof(DataViewSchema), typeof(string)])
            ?? throw new MissingMethodException("RegressionPredictionTransformer", ".ctor(IHostEnvironment, TModel, DataViewSchema, string)");

        public static RegressionPredictionTransformer<LinearRegressionModelParameters> Create(
            MLContext mlContext, float[] weights, float bias, DataViewSchema trainSchema, string featureColumn)
        {
            var environment = (IHostEnvironment)mlContext;
            var model = Invoke(ParametersConstructor, environment, new VBuffer<float>(weights.Length, weights), bias);
            return (RegressionPredictionTransformer<LinearRegressionModelParameters>)Invoke(TransformerConstructor, environment, model, trainSchema, featureColumn);
        }

        /// <summary>
        /// Reads whether the host was cancelled (<c>MLContext.CancelExecution</c> cancels every host
        /// registered from it); ML.NET keeps that flag internal too.
        /// </summary>
        public static Func<bool> CancellationFlag(IHost host)
        {
            var property = host.GetType().GetProperty("IsCanceled", Instance)
                ?? throw new MissingMemberException(host.GetType().Name, "IsCanceled");
            return () => property.GetValue(host) is true;
        }

        private static object Invoke(ConstructorInfo constructor, params object[] arguments)
        {
            try
            {
                return constructor.Invoke(arguments);
            }
            catch (TargetInvocationException exception) when (exception.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(exception.InnerException);
                throw;
            }
        }
    }
}
