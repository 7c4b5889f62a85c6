using System.Text.Json;

namespace DashAI.ML.Data;

/// <summary>How the rows of a dataset are divided into train, validation and test.</summary>
public sealed record SplitOptions(double TrainSize, double TestSize, double ValSize, int Seed, bool Shuffle, bool Stratify)
{
    public const double SumTolerance = 1e-6;

    public static SplitOptions Default { get; } = new(0.8, 0.1, 0.1, 42, Shuffle: true, Stratify: false);

    /// <summary>Every problem with the proportions; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var (name, value) in new[] { ("train_size", TrainSize), ("test_size", TestSize), ("val_size", ValSize) })
        {
            if (double.IsNaN(value) || value < 0 || value > 1)
            {
                errors.Add($"splits.{name} must be between 0 and 1 (got {value}).");
            }
        }

        var sum = TrainSize + TestSize + ValSize;
        if (errors.Count == 0 && Math.Abs(sum - 1) > SumTolerance)
        {
            errors.Add($"splits.train_size + splits.val_size + splits.test_size must be 1 (got {sum}).");
        }

        return errors;
    }
}

/// <summary>
/// Dataloader parameters. The CSV loader uses <see cref="Separator"/>, <see cref="Header"/>,
/// <see cref="Encoding"/> and <see cref="DecimalPoint"/>; the JSON loader uses <see cref="DataKey"/>.
/// </summary>
public sealed record DataLoaderOptions(
    char Separator = ',',
    bool Header = true,
    string Encoding = TextEncodings.Utf8,
    char DecimalPoint = '.',
    string? DataKey = null)
{
    public static DataLoaderOptions Default { get; } = new();
}

/// <summary>
/// The thesis "params" of a dataset upload, parsed and validated. Task names are recorded here
/// but checked against the task registry by the caller.
/// </summary>
public sealed class IngestRequest
{
    /// <summary>The fields params may hold; any other is refused (a typo would otherwise silently fall back to a default).</summary>
    public static readonly IReadOnlyList<string> KnownFields =
        ["task_name", "dataloader", "dataset_name", "outputs_columns", "splits_in_folders", "splits", "dataloader_params"];

    private static readonly string[] KnownSplitSettings = ["train_size", "test_size", "val_size", "seed", "shuffle", "stratify"];

    public required string TaskName { get; init; }

    public required string DataLoader { get; init; }

    public required string DatasetName { get; init; }

    /// <summary>The label column(s); empty means the last column of the file.</summary>
    public IReadOnlyList<string> OutputColumns { get; init; } = [];

    public SplitOptions Splits { get; init; } = SplitOptions.Default;

    public DataLoaderOptions LoaderOptions { get; init; } = DataLoaderOptions.Default;

    /// <summary>Parses the thesis params JSON; throws <see cref="InvalidInputException"/> naming every problem.</summary>
    public static IngestRequest Parse(string paramsJson)
    {
        ArgumentNullException.ThrowIfNull(paramsJson);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(paramsJson);
        }
        catch (JsonException ex)
        {
            throw new InvalidInputException($"params is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInputException("params must be a JSON object.");
            }

            if (StrictJson.FindDuplicateKey(paramsJson) is { } duplicate)
            {
                throw new InvalidInputException($"params gives the field '{duplicate}' more than once.");
            }

            var root = document.RootElement;
            var errors = StrictJson.UnknownKeys(root.EnumerateObject().Select(p => p.Name), KnownFields, "params");
            var taskName = RequiredString(root, "task_name", errors);
            var datasetName = RequiredString(root, "dataset_name", errors)?.Trim();
            var dataLoader = RequiredString(root, "dataloader", errors);
            if (dataLoader is not null && dataLoader != DataLoaderCatalog.Csv && dataLoader != DataLoaderCatalog.Json)
            {
                errors.Add($"dataloader '{dataLoader}' is not supported; use {DataLoaderCatalog.Csv} or {DataLoaderCatalog.Json}.");
            }

            if (datasetName is { Length: 0 })
            {
                errors.Add("dataset_name must not be empty.");
            }

            var outputs = ParseOutputColumns(root, errors);

            if (root.TryGetProperty("splits_in_folders", out var inFolders))
            {
                if (inFolders.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                {
                    errors.Add("splits_in_folders must be true or false.");
                }
                else if (inFolders.ValueKind == JsonValueKind.True)
                {
                    errors.Add("splits_in_folders: true is not supported; upload a single file and let the service split it.");
                }
            }

            var splits = ParseSplits(root, errors);
            var loaderOptions = ParseLoaderOptions(root, dataLoader, errors);

            if (errors.Count > 0)
            {
                throw new InvalidInputException(errors);
            }

            return new IngestRequest
            {
                TaskName = taskName!,
                DataLoader = dataLoader!,
                DatasetName = datasetName!,
                OutputColumns = outputs,
                Splits = splits,
                LoaderOptions = loaderOptions,
            };
        }
    }

    /// <summary>
    /// Reads "dataloader" and "dataloader_params" of a JSON object as a dataset upload's params hold them (the same
    /// rules and messages), for other requests that read a file: problems are added to <paramref name="errors"/>.
    /// </summary>
    public static (string? DataLoader, DataLoaderOptions Options) ParseDataLoader(JsonElement root, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var dataLoader = RequiredString(root, "dataloader", errors);
        if (dataLoader is not null && dataLoader != DataLoaderCatalog.Csv && dataLoader != DataLoaderCatalog.Json)
        {
            errors.Add($"dataloader '{dataLoader}' is not supported; use {DataLoaderCatalog.Csv} or {DataLoaderCatalog.Json}.");
        }

        return (dataLoader, ParseLoaderOptions(root, dataLoader, errors));
    }

    /// <summary>Every problem a directly constructed request has (Parse already guarantees none).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(Splits.Validate());
        if (DataLoader != DataLoaderCatalog.Csv && DataLoader != DataLoaderCatalog.Json)
        {
            errors.Add($"dataloader '{DataLoader}' is not supported; use {DataLoaderCatalog.Csv} or {DataLoaderCatalog.Json}.");
        }

        if (string.IsNullOrWhiteSpace(DatasetName))
        {
            errors.Add("dataset_name must not be empty.");
        }

        errors.AddRange(ValidateLoaderOptions(LoaderOptions));
        return errors;
    }

    private static string? RequiredString(JsonElement root, string name, List<string> errors)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors.Add($"{name} is required.");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add($"{name} must be a string.");
            return null;
        }

        return value.GetString();
    }

    private static List<string> ParseOutputColumns(JsonElement root, List<string> errors)
    {
        var outputs = new List<string>();
        if (!root.TryGetProperty("outputs_columns", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return outputs;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            errors.Add("outputs_columns must be a list of column names.");
            return outputs;
        }

        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(item.GetString()))
            {
                errors.Add("outputs_columns must contain only non-empty column names.");
                return [];
            }

            var name = item.GetString()!;
            if (outputs.Contains(name))
            {
                errors.Add($"outputs_columns names '{name}' twice.");
                continue;
            }

            outputs.Add(name);
        }

        return outputs;
    }

    private static SplitOptions ParseSplits(JsonElement root, List<string> errors)
    {
        var defaults = SplitOptions.Default;
        if (!root.TryGetProperty("splits", out var splits) || splits.ValueKind == JsonValueKind.Null)
        {
            return defaults;
        }

        if (splits.ValueKind != JsonValueKind.Object)
        {
            errors.Add("splits must be an object.");
            return defaults;
        }

        var before = errors.Count;
        errors.AddRange(StrictJson.UnknownKeys(splits.EnumerateObject().Select(p => p.Name), KnownSplitSettings, "params", "splits."));

        var result = new SplitOptions(
            Number(splits, "train_size", defaults.TrainSize, errors),
            Number(splits, "test_size", defaults.TestSize, errors),
            Number(splits, "val_size", defaults.ValSize, errors),
            Seed(splits, defaults.Seed, errors),
            Bool(splits, "shuffle", "splits.", defaults.Shuffle, errors),
            Bool(splits, "stratify", "splits.", defaults.Stratify, errors));
        if (errors.Count == before)
        {
            errors.AddRange(result.Validate());
        }

        return result;
    }

    private static double Number(JsonElement parent, string name, double fallback, List<string> errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number))
        {
            errors.Add($"splits.{name} must be a number between 0 and 1.");
            return fallback;
        }

        return number;
    }

    private static int Seed(JsonElement parent, int fallback, List<string> errors)
    {
        if (!parent.TryGetProperty("seed", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var seed))
        {
            errors.Add("splits.seed must be a whole number that fits in 32 bits.");
            return fallback;
        }

        return seed;
    }

    private static bool Bool(JsonElement parent, string name, string prefix, bool fallback, List<string> errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors.Add($"{prefix}{name} must be true or false.");
            return fallback;
        }

        return value.GetBoolean();
    }

    private static DataLoaderOptions ParseLoaderOptions(JsonElement root, string? dataLoader, List<string> errors)
    {
        var options = DataLoaderOptions.Default;
        if (!root.TryGetProperty("dataloader_params", out var parameters) || parameters.ValueKind == JsonValueKind.Null)
        {
            return options;
        }

        if (parameters.ValueKind != JsonValueKind.Object)
        {
            errors.Add("dataloader_params must be an object.");
            return options;
        }

        string[] known = dataLoader == DataLoaderCatalog.Json ? ["data_key"] : ["separator", "header", "encoding", "decimal"];
        errors.AddRange(StrictJson.UnknownKeys(parameters.EnumerateObject().Select(p => p.Name), known, $"the parameters of {dataLoader ?? "the dataloader"}", "dataloader_params."));

        var before = errors.Count;
        options = new DataLoaderOptions(
            Separator: SingleChar(parameters, "separator", options.Separator, errors),
            Header: Bool(parameters, "header", "dataloader_params.", options.Header, errors),
            Encoding: OptionalString(parameters, "encoding", errors) ?? options.Encoding,
            DecimalPoint: SingleChar(parameters, "decimal", options.DecimalPoint, errors),
            DataKey: OptionalString(parameters, "data_key", errors));
        if (errors.Count == before)
        {
            errors.AddRange(ValidateLoaderOptions(options));
        }

        return options;
    }

    private static string? OptionalString(JsonElement parent, string name, List<string> errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add($"dataloader_params.{name} must be a string.");
            return null;
        }

        return value.GetString();
    }

    private static char SingleChar(JsonElement parent, string name, char fallback, List<string> errors)
    {
        var text = OptionalString(parent, name, errors);
        if (text is null)
        {
            return fallback;
        }

        if (text.Length != 1)
        {
            errors.Add($"dataloader_params.{name} must be a single character (got '{text}').");
            return fallback;
        }

        return text[0];
    }

    private static List<string> ValidateLoaderOptions(DataLoaderOptions options)
    {
        var errors = new List<string>();
        if (options.Separator is '"' or '\r' or '\n' || char.IsLetterOrDigit(options.Separator) || options.Separator == options.DecimalPoint)
        {
            errors.Add($"dataloader_params.separator '{options.Separator}' cannot be used (not a quote, line break, letter, digit or the decimal point).");
        }

        if (options.DecimalPoint is not ('.' or ','))
        {
            errors.Add($"dataloader_params.decimal must be '.' or ',' (got '{options.DecimalPoint}').");
        }

        if (!TextEncodings.IsSupported(options.Encoding))
        {
            errors.Add($"dataloader_params.encoding '{options.Encoding}' is not supported; use one of {string.Join(", ", TextEncodings.Names)}.");
        }

        if (options.DataKey is { Length: 0 })
        {
            errors.Add("dataloader_params.data_key must not be empty (omit it when the file is a list of records).");
        }

        return errors;
    }
}
