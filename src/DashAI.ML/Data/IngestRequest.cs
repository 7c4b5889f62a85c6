using System.Text.Json;
using System.Text.Json.Nodes;

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
/// The thesis "params" of a dataset upload, parsed and validated against one JSON Schema (<see cref="ParamsSchema"/>),
/// whose <c>dataloader_params</c> part is each dataloader's schema as the component registry serves it. Task names
/// are recorded here but checked against the task registry by the caller.
/// </summary>
public sealed class IngestRequest
{
    private const string Root = "params";

    private static readonly Lazy<SchemaMessages> Checker = new(() => new SchemaMessages(ParamsSchema(), Root));

    public required string TaskName { get; init; }

    public required string DataLoader { get; init; }

    public required string DatasetName { get; init; }

    /// <summary>The label column(s); empty means the last column of the file.</summary>
    public IReadOnlyList<string> OutputColumns { get; init; } = [];

    public SplitOptions Splits { get; init; } = SplitOptions.Default;

    public DataLoaderOptions LoaderOptions { get; init; } = DataLoaderOptions.Default;

    /// <summary>
    /// The JSON Schema (draft 2020-12) of params: the single description of what an upload's params may hold. A field
    /// given as null counts as absent; <c>dataloader_params</c> follows the schema of the chosen dataloader.
    /// </summary>
    /// <remarks>Each call returns a fresh object, because a JsonNode can have only one parent.</remarks>
    public static JsonObject ParamsSchema()
    {
        var defaults = SplitOptions.Default;
        var loaders = DataLoaderCatalog.All;
        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "Dataset upload params",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("task_name", "dataloader", "dataset_name"),
            ["properties"] = new JsonObject
            {
                ["task_name"] = new JsonObject { ["type"] = "string", ["description"] = "A task from GET /component?select_types=Task." },
                ["dataloader"] = new JsonObject
                {
                    ["type"] = "string",
                    ["enum"] = new JsonArray([.. loaders.Select(l => JsonValue.Create(l.Name))]),
                    ["description"] = "The dataloader that reads the file.",
                },
                ["dataset_name"] = new JsonObject
                {
                    ["type"] = "string",
                    ["pattern"] = "\\S",
                    [SchemaMessages.ErrorMessageKeyword] = new JsonObject { ["pattern"] = "{field} must not be empty." },
                    ["description"] = "The dataset's name (surrounding spaces are trimmed).",
                },
                ["outputs_columns"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                    ["uniqueItems"] = true,
                    ["default"] = new JsonArray(),
                    ["description"] = "The label column(s); empty means the last column of the file.",
                },
                ["splits_in_folders"] = new JsonObject
                {
                    ["type"] = "boolean",
                    ["const"] = false,
                    [SchemaMessages.ErrorMessageKeyword] = new JsonObject
                    {
                        ["const"] = "{field}: true is not supported; upload a single file and let the service split it.",
                    },
                    ["default"] = false,
                },
                ["splits"] = new JsonObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["properties"] = new JsonObject
                    {
                        ["train_size"] = Proportion(defaults.TrainSize),
                        ["test_size"] = Proportion(defaults.TestSize),
                        ["val_size"] = Proportion(defaults.ValSize),
                        ["seed"] = new JsonObject { ["type"] = "integer", ["minimum"] = int.MinValue, ["maximum"] = int.MaxValue, ["default"] = defaults.Seed },
                        ["shuffle"] = new JsonObject { ["type"] = "boolean", ["default"] = defaults.Shuffle },
                        ["stratify"] = new JsonObject { ["type"] = "boolean", ["default"] = defaults.Stratify },
                    },
                    ["description"] = "The proportions of the train, validation and test splits (they sum to 1), and how rows are drawn.",
                },
                ["dataloader_params"] = new JsonObject { ["type"] = "object", ["description"] = "The parameters of the dataloader: see its schema in GET /component." },
            },
            ["allOf"] = new JsonArray([.. loaders.Select(LoaderRule), UnknownLoaderRule(loaders)]),
        };

        static JsonObject Proportion(double value) => new() { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1, ["default"] = value };

        // Without a known dataloader, dataloader_params may still only hold fields some dataloader takes (a typo is named).
        static JsonNode UnknownLoaderRule(IReadOnlyList<DataLoaderInfo> loaders)
        {
            var known = new JsonObject();
            foreach (var name in loaders.SelectMany(l => l.ParameterSchema["properties"]!.AsObject().Select(p => p.Key)).Distinct())
            {
                known[name] = true;
            }

            return new JsonObject
            {
                ["if"] = new JsonObject
                {
                    ["required"] = new JsonArray("dataloader"),
                    ["properties"] = new JsonObject { ["dataloader"] = new JsonObject { ["enum"] = new JsonArray([.. loaders.Select(l => JsonValue.Create(l.Name))]) } },
                },
                ["else"] = new JsonObject
                {
                    ["properties"] = new JsonObject
                    {
                        ["dataloader_params"] = new JsonObject { ["title"] = "the parameters of the dataloader", ["additionalProperties"] = false, ["properties"] = known },
                    },
                },
            };
        }

        static JsonNode LoaderRule(DataLoaderInfo loader)
        {
            var parameters = loader.ParameterSchema;
            parameters.Remove("$schema");
            parameters["title"] = $"the parameters of {loader.Name}";
            return new JsonObject
            {
                ["if"] = new JsonObject
                {
                    ["required"] = new JsonArray("dataloader"),
                    ["properties"] = new JsonObject { ["dataloader"] = new JsonObject { ["const"] = loader.Name } },
                },
                ["then"] = new JsonObject { ["properties"] = new JsonObject { ["dataloader_params"] = parameters } },
            };
        }
    }

    /// <summary>Parses the thesis params JSON; throws <see cref="InvalidInputException"/> naming every problem.</summary>
    public static IngestRequest Parse(string paramsJson)
    {
        ArgumentNullException.ThrowIfNull(paramsJson);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(paramsJson, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new InvalidInputException($"params is not valid JSON: {ex.Message}", ex);
        }

        if (root is not JsonObject parameters)
        {
            throw new InvalidInputException("params must be a JSON object.");
        }

        if (StrictJson.FindDuplicateKey(paramsJson) is { } duplicate)
        {
            throw new InvalidInputException($"params gives the field '{duplicate}' more than once.");
        }

        Normalize(parameters);
        var errors = Checker.Value.Check(parameters);
        if (errors.Count > 0)
        {
            throw new InvalidInputException(errors);
        }

        var request = Bind(parameters);
        errors.AddRange(request.CrossFieldProblems());
        if (errors.Count > 0)
        {
            throw new InvalidInputException(errors);
        }

        return request;
    }

    /// <summary>Every problem a directly constructed request has (Parse already guarantees none), by the same schema.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = Checker.Value.Check(ToParams());
        return errors.Count > 0 ? errors : CrossFieldProblems();
    }

    /// <summary>This request as params JSON.</summary>
    public JsonObject ToParams() => new()
    {
        ["task_name"] = TaskName,
        ["dataloader"] = DataLoader,
        ["dataset_name"] = DatasetName,
        ["outputs_columns"] = new JsonArray([.. OutputColumns.Select(c => JsonValue.Create(c))]),
        ["splits"] = new JsonObject
        {
            ["train_size"] = Splits.TrainSize,
            ["test_size"] = Splits.TestSize,
            ["val_size"] = Splits.ValSize,
            ["seed"] = Splits.Seed,
            ["shuffle"] = Splits.Shuffle,
            ["stratify"] = Splits.Stratify,
        },
        ["dataloader_params"] = DataLoader == DataLoaderCatalog.Json
            ? new JsonObject { ["data_key"] = LoaderOptions.DataKey }
            : new JsonObject
            {
                ["separator"] = LoaderOptions.Separator.ToString(),
                ["header"] = LoaderOptions.Header,
                ["encoding"] = LoaderOptions.Encoding,
                ["decimal"] = LoaderOptions.DecimalPoint.ToString(),
            },
    };

    /// <summary>
    /// A field given as null means "use the default" (the thesis client sends nulls), so it is dropped before the
    /// schema sees it; an encoding alias (utf8, windows-1252, ...) becomes the canonical name the schema lists.
    /// </summary>
    private static void Normalize(JsonObject parameters)
    {
        DropNulls(parameters);
        foreach (var key in new[] { "splits", "dataloader_params" })
        {
            if (parameters[key] is JsonObject nested)
            {
                DropNulls(nested);
            }
        }

        if (parameters["dataloader_params"] is JsonObject loader && loader["encoding"] is JsonValue encoding
            && encoding.GetValueKind() == JsonValueKind.String && TextEncodings.CanonicalName(encoding.GetValue<string>()) is { } canonical)
        {
            loader["encoding"] = canonical;
        }

        static void DropNulls(JsonObject node)
        {
            foreach (var key in node.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                node.Remove(key);
            }
        }
    }

    /// <summary>Reads a params object the schema has accepted; absent fields take the defaults the schema states.</summary>
    private static IngestRequest Bind(JsonObject parameters)
    {
        var splits = parameters["splits"] as JsonObject ?? [];
        var loader = parameters["dataloader_params"] as JsonObject ?? [];
        var defaults = SplitOptions.Default;
        var loaderDefaults = DataLoaderOptions.Default;
        return new IngestRequest
        {
            TaskName = parameters["task_name"]!.GetValue<string>(),
            DataLoader = parameters["dataloader"]!.GetValue<string>(),
            DatasetName = parameters["dataset_name"]!.GetValue<string>().Trim(),
            OutputColumns = [.. (parameters["outputs_columns"] as JsonArray ?? []).Select(c => c!.GetValue<string>())],
            Splits = new SplitOptions(
                Number(splits["train_size"]) ?? defaults.TrainSize,
                Number(splits["test_size"]) ?? defaults.TestSize,
                Number(splits["val_size"]) ?? defaults.ValSize,
                Number(splits["seed"]) is { } seed ? (int)seed : defaults.Seed,
                splits["shuffle"]?.GetValue<bool>() ?? defaults.Shuffle,
                splits["stratify"]?.GetValue<bool>() ?? defaults.Stratify),
            LoaderOptions = new DataLoaderOptions(
                Separator: loader["separator"]?.GetValue<string>()[0] ?? loaderDefaults.Separator,
                Header: loader["header"]?.GetValue<bool>() ?? loaderDefaults.Header,
                Encoding: loader["encoding"]?.GetValue<string>() ?? loaderDefaults.Encoding,
                DecimalPoint: loader["decimal"]?.GetValue<string>()[0] ?? loaderDefaults.DecimalPoint,
                DataKey: loader["data_key"]?.GetValue<string>()),
        };
    }

    private static double? Number(JsonNode? node) => node is null ? null : SchemaMessages.Number(node);

    /// <summary>The rules that relate two fields, which the schema cannot state.</summary>
    private List<string> CrossFieldProblems()
    {
        var errors = new List<string>(Splits.Validate());
        if (LoaderOptions.Separator == LoaderOptions.DecimalPoint)
        {
            errors.Add($"dataloader_params.separator '{LoaderOptions.Separator}' cannot be used (not a quote, line break, letter, digit or the decimal point).");
        }

        return errors;
    }
}
