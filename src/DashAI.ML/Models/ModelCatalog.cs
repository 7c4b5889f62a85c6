using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Parameters;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using static DashAI.ML.Parameters.ParameterSchema;

namespace DashAI.ML.Models;

/// <summary>
/// The models DashAI trains. Defaults follow the trainers' own where those are good, and were
/// tuned against scikit-learn's counterparts where not (see tests/DashAI.Benchmarks/compare_sklearn.py).
/// </summary>
public static class ModelCatalog
{
    private static readonly string[] ClassificationTasks = [TabularClassificationTask.TaskName, TextClassificationTask.TaskName];
    private static readonly string[] RegressionTasks = [RegressionTask.TaskName];

    public static IReadOnlyList<ModelDefinition> All { get; } =
    [
        LightGbm(classification: true),
        FastTree(classification: true),
        FastForest(classification: true),
        new(
            "LogisticRegression",
            "Multinomial logistic regression (maximum entropy) optimized with L-BFGS.",
            ClassificationTasks,
            needsNormalization: true,
            ModelFamily.Lbfgs,
            Object(
                LogScale(Number("l2_regularization", 3.0, 0, 1e6, "L2 penalty weight on the coefficients (on standardized numeric features).")),
                LogScale(Number("l1_regularization", 0.0, 0, 1e6, "L1 penalty weight on the coefficients.")),
                LogScale(Number("optimization_tolerance", 1e-4, 0, 1, "Stop when the relative improvement of the loss falls below this.", exclusiveMinimum: true)),
                Integer("history_size", 20, 1, 1000, "Number of past updates L-BFGS keeps to approximate the Hessian."),
                Integer("maximum_number_of_iterations", 200, 1, 100_000, "Maximum number of L-BFGS iterations.")),
            (ml, s, p) => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = s.LabelColumn,
                FeatureColumnName = s.FeaturesColumn,
                L2Regularization = p.GetSingle("l2_regularization"),
                L1Regularization = p.GetSingle("l1_regularization"),
                OptimizationTolerance = p.GetSingle("optimization_tolerance"),
                HistorySize = p.GetInt32("history_size"),
                MaximumNumberOfIterations = p.GetInt32("maximum_number_of_iterations"),
            }),
            TextDefaults(("l2_regularization", 1.0))),
        new(
            "SdcaMaximumEntropy",
            "Multinomial logistic regression optimized with stochastic dual coordinate ascent.",
            ClassificationTasks,
            needsNormalization: true,
            ModelFamily.StreamingLinear,
            Object(
                LogScale(OptionalNumber("l2_regularization", 0.01, 0, 1e6, "L2 penalty weight; null lets the trainer choose from the data size.")),
                LogScale(OptionalNumber("l1_regularization", null, 0, 1e6, "L1 penalty weight; null lets the trainer choose.")),
                OptionalInteger("maximum_number_of_iterations", 30, 1, 10_000, "Maximum passes over the data; null lets the trainer choose."),
                LogScale(Number("convergence_tolerance", 0.1, 0, 1, "Stop when the duality gap falls below this.", exclusiveMinimum: true))),
            (ml, s, p) => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = s.LabelColumn,
                FeatureColumnName = s.FeaturesColumn,
                L2Regularization = p.GetOptionalSingle("l2_regularization"),
                L1Regularization = p.GetOptionalSingle("l1_regularization"),
                MaximumNumberOfIterations = p.GetOptionalInt32("maximum_number_of_iterations"),
                ConvergenceTolerance = p.GetSingle("convergence_tolerance"),
                // Several SDCA threads update shared weights without locks: results would vary run to run.
                NumberOfThreads = 1,
            }),
            TextDefaults(("l2_regularization", 1e-4))),
        new(
            "LinearSvm",
            "Linear support vector machine (Pegasos); one-versus-all with Platt-calibrated probabilities for several classes.",
            ClassificationTasks,
            needsNormalization: true,
            ModelFamily.StreamingLinear,
            Object(
                LogScale(Number("lambda", 0.01, 0, 1e3, "Regularization strength.", exclusiveMinimum: true)),
                Integer("number_of_iterations", 10, 1, 10_000, "Passes over the data."),
                Boolean("perform_projection", false, "Project the weights onto the unit ball after each update."),
                Boolean("no_bias", false, "Fit without a bias term.")),
            (ml, s, p) => ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.LinearSvm(new LinearSvmTrainer.Options
                {
                    LabelColumnName = s.LabelColumn,
                    FeatureColumnName = s.FeaturesColumn,
                    Lambda = p.GetSingle("lambda"),
                    NumberOfIterations = p.GetInt32("number_of_iterations"),
                    PerformProjection = p.GetBoolean("perform_projection"),
                    NoBias = p.GetBoolean("no_bias"),
                }),
                labelColumnName: s.LabelColumn),
            TextDefaults(("lambda", 0.003))),
        LightGbm(classification: false),
        FastTree(classification: false),
        FastForest(classification: false),
        new(
            "RidgeRegressor",
            "Ridge regression (least squares with an L2 penalty) solved exactly from the normal equations in one pass over the data; " +
            "at most " + RidgeRegressionTrainer.MaximumFeatureCount.ToString(CultureInfo.InvariantCulture) +
            " features after featurization (many-valued text or categories: use SdcaRegressor).",
            RegressionTasks,
            needsNormalization: true,
            // One pass over the cached rows; its own state is the features × features normal equations (≤ 32 MB).
            ModelFamily.StreamingLinear,
            Object(
                LogScale(Number("alpha", 1.0, 0, 1e9, "L2 penalty weight on the coefficients (on standardized numeric features), as scikit-learn's Ridge alpha; 0 is ordinary least squares.")),
                Boolean("fit_intercept", true, "Fit an unpenalized intercept; false makes the model pass through the origin.")),
            (ml, s, p) => new RidgeRegressionTrainer(ml, new RidgeRegressionTrainer.Options(
                s.LabelColumn,
                s.FeaturesColumn,
                p.GetDouble("alpha"),
                p.GetBoolean("fit_intercept")))),
        new(
            "SdcaRegressor",
            "Linear regression with squared loss optimized with stochastic dual coordinate ascent (ridge-like).",
            RegressionTasks,
            needsNormalization: true,
            ModelFamily.StreamingLinear,
            Object(
                LogScale(OptionalNumber("l2_regularization", null, 0, 1e6, "L2 penalty weight; null lets the trainer choose from the data size.")),
                LogScale(OptionalNumber("l1_regularization", null, 0, 1e6, "L1 penalty weight; null lets the trainer choose.")),
                OptionalInteger("maximum_number_of_iterations", null, 1, 10_000, "Maximum passes over the data; null lets the trainer choose."),
                LogScale(Number("convergence_tolerance", 0.01, 0, 1, "Stop when the duality gap falls below this.", exclusiveMinimum: true))),
            (ml, s, p) => ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options
            {
                LabelColumnName = s.LabelColumn,
                FeatureColumnName = s.FeaturesColumn,
                L2Regularization = p.GetOptionalSingle("l2_regularization"),
                L1Regularization = p.GetOptionalSingle("l1_regularization"),
                MaximumNumberOfIterations = p.GetOptionalInt32("maximum_number_of_iterations"),
                ConvergenceTolerance = p.GetSingle("convergence_tolerance"),
                NumberOfThreads = 1,
            })),
        new(
            "OnlineGradientDescentRegressor",
            "Linear regression with squared loss trained by averaged stochastic gradient descent.",
            RegressionTasks,
            needsNormalization: true,
            ModelFamily.StreamingLinear,
            Object(
                LogScale(Number("learning_rate", 0.1, 0, 10, "Initial step size.", exclusiveMinimum: true)),
                Boolean("decrease_learning_rate", true, "Shrink the step size as training proceeds."),
                LogScale(Number("l2_regularization", 0.0, 0, 1e3, "L2 penalty weight.")),
                Integer("number_of_iterations", 10, 1, 10_000, "Passes over the data.")),
            (ml, s, p) => ml.Regression.Trainers.OnlineGradientDescent(new OnlineGradientDescentTrainer.Options
            {
                LabelColumnName = s.LabelColumn,
                FeatureColumnName = s.FeaturesColumn,
                LearningRate = p.GetSingle("learning_rate"),
                DecreaseLearningRate = p.GetBoolean("decrease_learning_rate"),
                L2Regularization = p.GetSingle("l2_regularization"),
                NumberOfIterations = p.GetInt32("number_of_iterations"),
            })),
    ];

    /// <summary>
    /// Defaults of a linear model on text: its rows are L2-normalized TF-IDF vectors of norm 1 where
    /// standardized numbers have a norm near the square root of the column count, so the same penalty
    /// regularizes text far harder (package_sections: SdcaMaximumEntropy 0.7625 with 0.01, 0.89 with 1e-4).
    /// </summary>
    private static Dictionary<string, JsonObject> TextDefaults(params (string Name, JsonNode Value)[] defaults)
    {
        var values = new JsonObject();
        foreach (var (name, value) in defaults)
        {
            values[name] = value;
        }

        return new Dictionary<string, JsonObject>(StringComparer.Ordinal) { [TextClassificationTask.TaskName] = values };
    }

    /// <summary>The model with this exact name, or null.</summary>
    public static ModelDefinition? Find(string name) => All.FirstOrDefault(m => m.Name == name);

    private static ModelDefinition LightGbm(bool classification) => new(
        classification ? "LightGbmClassifier" : "LightGbmRegressor",
        "Gradient-boosted decision trees (LightGBM, histogram based, leaf-wise growth).",
        classification ? ClassificationTasks : RegressionTasks,
        needsNormalization: false,
        ModelFamily.LightGbm,
        Object(
            Integer("number_of_iterations", 100, 1, 10_000, "Number of boosting rounds (trees per class)."),
            LogScale(Number("learning_rate", 0.1, 0, 1, "Shrinkage applied to each tree.", exclusiveMinimum: true)),
            Integer("number_of_leaves", 31, 2, 131_072, "Maximum leaves per tree."),
            Integer("minimum_example_count_per_leaf", 20, 1, 1_000_000, "Minimum training rows in a leaf."),
            Integer("maximum_bin_count_per_feature", 255, 2, 65_535, "Histogram bins per feature."),
            // LightGBM's own default is 3 rows per bin; with 1, a small training set can be split between any two
            // distinct values (up to the bin count), as scikit-learn's HistGradientBoosting does. Large sets
            // fill every bin anyway.
            Integer("minimum_example_count_per_bin", 1, 1, 1_000_000, "Minimum training rows in a histogram bin."),
            // ML.NET's default is 0.1; LightGBM's own and HistGradientBoosting's is 1e-3, which lets a leaf whose rows
            // are already well predicted (small second derivatives) still split. Measured with the bin setting
            // above in RESULTS.md (hyperparameter search, breast_cancer; repeated splits of the reference sets).
            LogScale(Number("minimum_child_weight", 0.001, 0, 1e6, "Minimum sum of the loss's second derivatives (hessians) in a leaf.")),
            LogScale(Number("l2_regularization", 0.0, 0, 1e6, "L2 penalty on leaf values.")),
            LogScale(Number("l1_regularization", 0.0, 0, 1e6, "L1 penalty on leaf values.")),
            Number("feature_fraction", 1.0, 0, 1, "Fraction of features considered per tree.", exclusiveMinimum: true),
            Number("subsample_fraction", 1.0, 0, 1, "Fraction of rows sampled per tree (bagging; not with goss).", exclusiveMinimum: true),
            Enum("booster", "gbdt", ["gbdt", "dart", "goss"], "Boosting flavour: plain gradient boosting, with dropout (dart), or gradient-based one-side sampling (goss).")),
        (ml, s, p) =>
        {
            var booster = CreateBooster(p);
            var rowsPerBin = p.GetInt32("minimum_example_count_per_bin");
            if (classification)
            {
                return ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
                {
                    LabelColumnName = s.LabelColumn,
                    FeatureColumnName = s.FeaturesColumn,
                    NumberOfIterations = p.GetInt32("number_of_iterations"),
                    LearningRate = p.GetDouble("learning_rate"),
                    NumberOfLeaves = p.GetInt32("number_of_leaves"),
                    MinimumExampleCountPerLeaf = p.GetInt32("minimum_example_count_per_leaf"),
                    MaximumBinCountPerFeature = p.GetInt32("maximum_bin_count_per_feature"),
                    UseSoftmax = true,
                    Seed = s.Seed,
                    Deterministic = true,
                    Silent = true,
                    Booster = booster,
                }).WithMinimumDataInBin(rowsPerBin);
            }

            return ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = s.LabelColumn,
                FeatureColumnName = s.FeaturesColumn,
                NumberOfIterations = p.GetInt32("number_of_iterations"),
                LearningRate = p.GetDouble("learning_rate"),
                NumberOfLeaves = p.GetInt32("number_of_leaves"),
                MinimumExampleCountPerLeaf = p.GetInt32("minimum_example_count_per_leaf"),
                MaximumBinCountPerFeature = p.GetInt32("maximum_bin_count_per_feature"),
                Seed = s.Seed,
                Deterministic = true,
                Silent = true,
                Booster = booster,
            }).WithMinimumDataInBin(rowsPerBin);
        })
    {
        BoostingRoundsParameter = "number_of_iterations",
    };

    private static BoosterParameterBase.OptionsBase CreateBooster(ParameterValues p)
    {
        BoosterParameterBase.OptionsBase booster = p.GetString("booster") switch
        {
            "dart" => new DartBooster.Options(),
            "goss" => new GossBooster.Options(),
            _ => new GradientBooster.Options(),
        };
        booster.L2Regularization = p.GetDouble("l2_regularization");
        booster.L1Regularization = p.GetDouble("l1_regularization");
        booster.MinimumChildWeight = p.GetDouble("minimum_child_weight");
        booster.FeatureFraction = p.GetDouble("feature_fraction");
        if (booster is not GossBooster.Options && p.GetDouble("subsample_fraction") < 1)
        {
            booster.SubsampleFraction = p.GetDouble("subsample_fraction");
            booster.SubsampleFrequency = 1;
        }

        return booster;
    }

    private static ModelDefinition FastTree(bool classification) => new(
        classification ? "FastTreeClassifier" : "FastTreeRegressor",
        classification
            ? "Gradient-boosted decision trees (ML.NET FastTree, MART), one-versus-all: the data is binned and a boosted model " +
              "fitted once per class, so with several classes it fits several times slower than LightGbmClassifier " +
              "(200,000 rows, 3 classes: about 11 s against 4 s)."
            : "Gradient-boosted decision trees (ML.NET FastTree, MART). It bins every feature before the first tree " +
              "(about 1.3 s on 200,000 rows × 20 features), so it fits about twice as slowly as LightGbmRegressor.",
        classification ? ClassificationTasks : RegressionTasks,
        needsNormalization: false,
        ModelFamily.Trees,
        Object(
            // Tuned separately: one-versus-all classifiers did best with LightGBM-like leaves and a larger
            // step, regression with smaller leaves and a smaller step (see compare_sklearn.py).
            Integer("number_of_trees", 100, 1, 10_000, "Number of boosting rounds."),
            Integer("number_of_leaves", classification ? 31 : 20, 2, 131_072, "Maximum leaves per tree."),
            Integer("minimum_example_count_per_leaf", classification ? 20 : 5, 1, 1_000_000, "Minimum training rows in a leaf."),
            LogScale(Number("learning_rate", classification ? 0.2 : 0.1, 0, 1, "Shrinkage applied to each tree.", exclusiveMinimum: true)),
            Integer("maximum_bin_count_per_feature", 255, 2, 65_535, "Histogram bins per feature."),
            Number("feature_fraction", 1.0, 0, 1, "Fraction of features considered per tree.", exclusiveMinimum: true)),
        (ml, s, p) =>
        {
            if (classification)
            {
                return ml.MulticlassClassification.Trainers.OneVersusAll(
                    ml.BinaryClassification.Trainers.FastTree(Boosted(new FastTreeBinaryTrainer.Options(), s, p)),
                    labelColumnName: s.LabelColumn);
            }

            return ml.Regression.Trainers.FastTree(Boosted(new FastTreeRegressionTrainer.Options(), s, p));
        },
        // N-gram features are sparse: a split on a rarer n-gram leaves few rows on one side
        // (package_sections: 0.8725 with 20 rows per leaf, 0.89 with 5).
        classification ? TextDefaults(("minimum_example_count_per_leaf", 5)) : null)
    {
        BoostingRoundsParameter = "number_of_trees",
    };

    private static ModelDefinition FastForest(bool classification) => new(
        classification ? "FastForestClassifier" : "FastForestRegressor",
        classification
            ? "Random forest of decision trees (ML.NET FastForest); one-versus-all with Platt-calibrated probabilities for several classes."
            : "Random forest of decision trees (ML.NET FastForest).",
        classification ? ClassificationTasks : RegressionTasks,
        needsNormalization: false,
        ModelFamily.Trees,
        Object(
            Integer("number_of_trees", 100, 1, 10_000, "Number of trees."),
            Integer("number_of_leaves", classification ? 2048 : 16384, 2, 131_072, "Maximum leaves per tree (forests grow deep trees)."),
            // Regression forests need far more leaves to match RandomForest on large data (200k rows:
            // R2 0.84 with 2048, 0.90 with 16384) and a few rows per leaf on small data (diabetes).
            Integer("minimum_example_count_per_leaf", classification ? 1 : 3, 1, 1_000_000, "Minimum training rows in a leaf."),
            Number("feature_fraction", 1.0, 0, 1, "Fraction of features each tree may use.", exclusiveMinimum: true),
            Number("feature_fraction_per_split", 0.3, 0, 1, "Fraction of the tree's features considered at each split.", exclusiveMinimum: true),
            Number("bagging_example_fraction", 0.7, 0, 1, "Fraction of rows each tree is trained on.", exclusiveMinimum: true)),
        (ml, s, p) =>
        {
            if (classification)
            {
                return ml.MulticlassClassification.Trainers.OneVersusAll(
                    ml.BinaryClassification.Trainers.FastForest(Forest(new FastForestBinaryTrainer.Options(), s, p)),
                    labelColumnName: s.LabelColumn);
            }

            return ml.Regression.Trainers.FastForest(Forest(new FastForestRegressionTrainer.Options(), s, p));
        });

    /// <summary>The options every FastTree/FastForest trainer shares, set from the run's parameters.</summary>
    private static T Tree<T>(T options, TrainerSettings s, ParameterValues p)
        where T : TreeOptions
    {
        options.LabelColumnName = s.LabelColumn;
        options.FeatureColumnName = s.FeaturesColumn;
        options.NumberOfTrees = p.GetInt32("number_of_trees");
        options.NumberOfLeaves = p.GetInt32("number_of_leaves");
        options.MinimumExampleCountPerLeaf = p.GetInt32("minimum_example_count_per_leaf");
        options.FeatureFraction = p.GetDouble("feature_fraction");
        options.Seed = s.Seed;
        return options;
    }

    private static T Boosted<T>(T options, TrainerSettings s, ParameterValues p)
        where T : BoostedTreeOptions
    {
        Tree(options, s, p);
        options.LearningRate = p.GetDouble("learning_rate");
        options.MaximumBinCountPerFeature = p.GetInt32("maximum_bin_count_per_feature");
        return options;
    }

    private static T Forest<T>(T options, TrainerSettings s, ParameterValues p)
        where T : TreeOptions
    {
        Tree(options, s, p);
        options.FeatureFractionPerSplit = p.GetDouble("feature_fraction_per_split");
        options.BaggingExampleFraction = p.GetDouble("bagging_example_fraction");
        return options;
    }
}
