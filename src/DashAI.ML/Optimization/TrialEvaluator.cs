using System.Diagnostics;
using System.Text.Json.Nodes;
using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Models;
using DashAI.ML.Training;
using Microsoft.ML;

namespace DashAI.ML.Optimization;

/// <summary>A validation metric a trial reported at a rung of successive halving.</summary>
public sealed record RungReport(int Rounds, double Value);

/// <summary>
/// What a trial reached. <see cref="Value"/> is the optimized validation metric: of the full fit when
/// <see cref="Stopped"/> is false, else of the last rung it reached. <see cref="ValidationMetrics"/> holds every
/// metric of the full fit (empty when stopped); <see cref="FitSeconds"/> the time spent fitting and scoring.
/// </summary>
public sealed record TrialOutcome(double Value, bool Stopped, IReadOnlyList<RungReport> Rungs, IReadOnlyDictionary<string, double> ValidationMetrics, double FitSeconds);

/// <summary>Decides at each rung whether a trial goes on (successive halving over the trials of one search).</summary>
public interface IRungJudge
{
    SuccessiveHalving Halving { get; }

    /// <summary>Records this trial's <paramref name="value"/> at the rung of <paramref name="rounds"/> rounds and says whether it goes on.</summary>
    ValueTask<bool> ContinueAsync(int rounds, double value, CancellationToken cancellationToken);
}

/// <summary>
/// Runs hyperparameter trials of one model on one dataset: the training split is read, encoded and held once
/// (the encoding does not depend on the parameters), the validation split once; each trial fits on train and
/// scores on validation. With a judge and a boosted model, a trial is first fitted at the rungs of its boosting
/// rounds and stops when the judge says so. Not thread-safe: one trial at a time.
/// </summary>
public sealed class TrialEvaluator
{
    private readonly TrainingSession _session;
    private readonly IDataView _train;
    private readonly IDataView _validation;
    private readonly TrainingSize _size;
    private readonly long? _instanceMemoryBytes;

    private TrialEvaluator(TrainingSession session, IDataView train, IDataView validation, TrainingSize size, long? instanceMemoryBytes)
    {
        (_session, _train, _validation, _size, _instanceMemoryBytes) = (session, train, validation, size, instanceMemoryBytes);
    }

    /// <summary>The rows of the training split that train (labelled).</summary>
    public long TrainingRows => _size.Rows;

    /// <summary>
    /// Reads the training and validation splits of <paramref name="request"/> (its parameters are only used to
    /// build the encoding, which every parameter value shares). Problems the user can fix throw
    /// <see cref="InvalidInputException"/>, like <see cref="Trainer.Train"/>.
    /// </summary>
    public static TrialEvaluator Prepare(TrainingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parameters = ComponentRegistry.ValidateAndFillDefaults(request.ModelName, request.TaskName, request.Parameters);
        var task = ComponentRegistry.ValidateExperiment(request.TaskName, request.Schema);
        var model = ModelCatalog.Find(request.ModelName)!;
        var session = new TrainingSession(task, model, parameters, request.Schema, request.Seed);
        using var registration = session.MLContext.CancelOn(cancellationToken);
        try
        {
            var (encoded, size) = session.EncodeTrainingData(session.Load(request.TrainPath));
            if (request.InstanceMemoryBytes is { } memory)
            {
                TrainingMemory.EnsureFits(model, parameters, size, memory);
            }

            var train = session.CacheTrainingData(encoded);
            var validationRaw = session.Load(request.ValidationPath);
            var validation = session.MLContext.Data.Cache(validationRaw, [.. validationRaw.Schema.Select(c => c.Name)]);
            TrainingSession.Materialize(validation);
            cancellationToken.ThrowIfCancellationRequested();
            return new TrialEvaluator(session, train, validation, size, request.InstanceMemoryBytes);
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is not InvalidInputException and not OperationCanceledException)
        {
            throw new OperationCanceledException("The trial was cancelled.", exception, cancellationToken);
        }
    }

    /// <summary>
    /// Fits <paramref name="parameters"/> (a model's complete parameters, validated again here) on train and
    /// scores <paramref name="metric"/> on validation, at the rungs first when <paramref name="judge"/> is given
    /// and the model is boosted. A metric the validation split cannot define (roc_auc with one class) is an
    /// <see cref="InvalidInputException"/>.
    /// </summary>
    public async Task<TrialOutcome> EvaluateAsync(JsonObject parameters, string metric, IRungJudge? judge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var model = _session.Model;
        var filled = ComponentRegistry.ValidateAndFillDefaults(model.Name, _session.Task.Name, parameters);
        if (_instanceMemoryBytes is { } memory)
        {
            TrainingMemory.EnsureFits(model, filled, _size, memory);
        }

        var watch = Stopwatch.StartNew();
        var reports = new List<RungReport>();
        if (judge is not null && model.BoostingRoundsParameter is { } roundsParameter)
        {
            var rounds = checked((int)filled[roundsParameter]!.GetValue<long>());
            foreach (var rung in judge.Halving.Rungs(rounds))
            {
                var atRung = (JsonObject)filled.DeepClone();
                atRung[roundsParameter] = rung;
                var value = Score(atRung, metric, cancellationToken)[metric];
                reports.Add(new RungReport(rung, value));
                if (!await judge.ContinueAsync(rung, value, cancellationToken).ConfigureAwait(false))
                {
                    return new TrialOutcome(value, Stopped: true, reports, new Dictionary<string, double>(), watch.Elapsed.TotalSeconds);
                }
            }
        }

        var metrics = Score(filled, metric, cancellationToken);
        return new TrialOutcome(metrics[metric], Stopped: false, reports, metrics, watch.Elapsed.TotalSeconds);
    }

    private Dictionary<string, double> Score(JsonObject parameters, string metric, CancellationToken cancellationToken)
    {
        using var registration = _session.MLContext.CancelOn(cancellationToken);
        try
        {
            var fitted = _session.Fit(_train, parameters);
            var evaluation = _session.Evaluate(fitted, _validation, SplitNames.Validation, cancellationToken);
            if (!evaluation.Metrics.TryGetValue(metric, out var value) || !double.IsFinite(value))
            {
                throw new InvalidInputException($"The metric '{metric}' is undefined on the validation split ({evaluation.Rows} rows); optimize another metric.");
            }

            return evaluation.Metrics;
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is not InvalidInputException and not OperationCanceledException)
        {
            throw new OperationCanceledException("The trial was cancelled.", exception, cancellationToken);
        }
    }
}

/// <summary>Successive halving over the trials of one process (the benchmark and tests run trials one after another).</summary>
public sealed class InMemoryRungJudge(SuccessiveHalving halving, OptimizationDirection direction) : IRungJudge
{
    private readonly Dictionary<int, List<double>> _values = [];

    public SuccessiveHalving Halving { get; } = halving;

    public ValueTask<bool> ContinueAsync(int rounds, double value, CancellationToken cancellationToken)
    {
        if (!_values.TryGetValue(rounds, out var values))
        {
            _values[rounds] = values = [];
        }

        values.Add(value);
        return ValueTask.FromResult(Halving.Continues(value, values, direction));
    }
}
