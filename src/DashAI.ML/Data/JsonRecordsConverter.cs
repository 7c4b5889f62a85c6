using System.Buffers;
using System.Text;
using System.Text.Json;

namespace DashAI.ML.Data;

/// <summary>
/// Converts a JSON list of records (or an object holding one under <c>data_key</c>) to a CSV file the
/// CSV path then ingests, so both loaders share inference, validation and splitting. Two streaming
/// passes with <see cref="Utf8JsonReader"/> over a growing buffer: the first collects the column
/// names (union of keys, in first-seen order), the second writes the rows. A record missing a key
/// gets a missing value there.
/// </summary>
internal static class JsonRecordsConverter
{
    /// <summary>How the CSV this converter writes must be read.</summary>
    public static DataLoaderOptions CsvOptions { get; } = new(',', Header: true, TextEncodings.Utf8, '.');

    private const int InitialBufferSize = 1 << 16;

    public static void Convert(string jsonPath, string? dataKey, string csvPath, CancellationToken cancellationToken)
    {
        if (new FileInfo(jsonPath).Length == 0)
        {
            throw new InvalidInputException("The file is empty.");
        }

        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        var records = Walk(jsonPath, dataKey, new KeyCollector(columns), cancellationToken);
        if (records == 0)
        {
            throw new InvalidInputException("The JSON list holds no records.");
        }

        if (columns.Count == 0)
        {
            throw new InvalidInputException("The JSON records have no fields.");
        }

        using var writer = new CanonicalCsvWriter(csvPath);
        writer.WriteHeader(columns.Keys);
        Walk(jsonPath, dataKey, new RowWriter(columns, writer), cancellationToken);
    }

    private interface IRecordSink
    {
        void StartRecord();

        void Field(string key, string? value);

        void EndRecord();
    }

    private sealed class KeyCollector(Dictionary<string, int> columns) : IRecordSink
    {
        public void StartRecord()
        {
        }

        public void Field(string key, string? value) => columns.TryAdd(key, columns.Count);

        public void EndRecord()
        {
        }
    }

    private sealed class RowWriter(Dictionary<string, int> columns, CanonicalCsvWriter writer) : IRecordSink
    {
        private readonly string?[] _values = new string?[columns.Count];

        public void StartRecord() => Array.Clear(_values);

        public void Field(string key, string? value) => _values[columns[key]] = value;

        public void EndRecord()
        {
            for (var i = 0; i < _values.Length; i++)
            {
                if (i > 0)
                {
                    writer.Separator();
                }

                // A lone empty value would be a blank line, which the CSV reader skips; quote it.
                if (_values.Length == 1 && string.IsNullOrEmpty(_values[i]))
                {
                    writer.Raw("\"\"");
                }
                else
                {
                    writer.Text(_values[i]);
                }
            }

            writer.EndRow();
        }
    }

    private enum Phase
    {
        Root,
        AwaitingList,
        InList,
        Done,
    }

    /// <summary>Streams the file through a token state machine and returns the number of records.</summary>
    private static long Walk(string path, string? dataKey, IRecordSink sink, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            var walker = new Walker(dataKey, sink);
            var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            var length = 0;
            var atEnd = false;
            var first = true;
            while (!atEnd || length > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                while (!atEnd && length < buffer.Length)
                {
                    var read = stream.Read(buffer, length, buffer.Length - length);
                    atEnd = read == 0;
                    length += read;
                }

                var start = 0;
                if (first)
                {
                    first = false;
                    if (buffer.AsSpan(0, length).StartsWith(Encoding.UTF8.Preamble))
                    {
                        start = Encoding.UTF8.Preamble.Length;
                    }
                }

                var reader = new Utf8JsonReader(buffer.AsSpan(start, length - start), atEnd, state);
                try
                {
                    while (reader.Read())
                    {
                        walker.Token(ref reader);
                    }
                }
                catch (JsonException ex)
                {
                    throw new InvalidInputException(
                        [$"The file is not valid JSON near record {walker.Records + 1}: {ex.Message}"],
                        walker.Records + 1);
                }
                catch (InvalidOperationException)
                {
                    // GetString throws this for invalid UTF-8 inside a string token.
                    throw new InvalidInputException(
                        [$"Record {walker.Records + 1} holds text that is not valid UTF-8; JSON files must be UTF-8."],
                        walker.Records + 1);
                }

                var consumed = start + (int)reader.BytesConsumed;
                state = reader.CurrentState;
                buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                length -= consumed;
                if (atEnd)
                {
                    if (length > 0)
                    {
                        throw new InvalidInputException("The JSON file ends in the middle of a value.");
                    }

                    break;
                }
            }

            walker.Finish();
            return walker.Records;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed class Walker(string? dataKey, IRecordSink sink)
    {
        private Phase _phase = Phase.Root;
        private int _listDepth = -1;
        private readonly HashSet<string> _recordKeys = new(StringComparer.Ordinal);
        private bool _inRecord;
        private string? _key;

        public long Records { get; private set; }

        public void Token(ref Utf8JsonReader reader)
        {
            var depth = reader.CurrentDepth;
            var token = reader.TokenType;
            switch (_phase)
            {
                case Phase.Root:
                    if (depth == 0 && token == JsonTokenType.StartArray && dataKey is null)
                    {
                        _listDepth = 0;
                        _phase = Phase.InList;
                    }
                    else if (depth == 0 && token == JsonTokenType.StartObject && dataKey is null)
                    {
                        throw new InvalidInputException("The JSON file is an object; set dataloader_params.data_key to the property that holds the list of records.");
                    }
                    else if (depth == 0 && token == JsonTokenType.StartObject)
                    {
                        // Look for data_key among the root's properties.
                    }
                    else if (depth == 1 && token == JsonTokenType.PropertyName && reader.ValueTextEquals(dataKey))
                    {
                        _phase = Phase.AwaitingList;
                    }
                    else if (depth == 0 && token == JsonTokenType.EndObject)
                    {
                        throw new InvalidInputException($"The JSON object has no property '{dataKey}' (dataloader_params.data_key).");
                    }
                    else if (depth == 0)
                    {
                        throw new InvalidInputException(dataKey is null
                            ? "The JSON file must be a list of records (objects)."
                            : $"The JSON file must be an object whose '{dataKey}' property is a list of records.");
                    }

                    break;
                case Phase.AwaitingList:
                    if (token != JsonTokenType.StartArray)
                    {
                        throw new InvalidInputException($"The JSON property '{dataKey}' must be a list of records.");
                    }

                    _listDepth = depth;
                    _phase = Phase.InList;
                    break;
                case Phase.InList:
                    InList(ref reader, depth, token);
                    break;
                default:
                    break;
            }
        }

        public void Finish()
        {
            if (_phase == Phase.Root && dataKey is not null)
            {
                throw new InvalidInputException($"The JSON object has no property '{dataKey}' (dataloader_params.data_key).");
            }

            if (_phase != Phase.Done)
            {
                throw new InvalidInputException("The JSON file ends before its list of records is closed.");
            }
        }

        // The keys become the column names: like a CSV header, each must be non-empty and unique.
        private void CheckKey(string key)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new InvalidInputException(
                    [$"Record {Records + 1}: field {_recordKeys.Count + 1} has an empty name; every field needs a name, since it becomes a column."],
                    Records + 1);
            }

            if (!_recordKeys.Add(key))
            {
                throw new InvalidInputException(
                    [$"Record {Records + 1} has the field '{key}' more than once; field names in a record must be unique."],
                    Records + 1);
            }
        }

        private void InList(ref Utf8JsonReader reader, int depth, JsonTokenType token)
        {
            if (!_inRecord)
            {
                if (token == JsonTokenType.EndArray && depth == _listDepth)
                {
                    _phase = Phase.Done;
                    return;
                }

                if (token != JsonTokenType.StartObject)
                {
                    throw new InvalidInputException([$"Record {Records + 1} is not an object; the list must hold records like {{\"column\": value}}."], Records + 1);
                }

                _inRecord = true;
                _recordKeys.Clear();
                sink.StartRecord();
                return;
            }

            switch (token)
            {
                case JsonTokenType.EndObject:
                    _inRecord = false;
                    Records++;
                    sink.EndRecord();
                    return;
                case JsonTokenType.PropertyName:
                    _key = reader.GetString()!;
                    CheckKey(_key);
                    return;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    throw new InvalidInputException(
                        [$"Record {Records + 1} field '{_key}' is {(token == JsonTokenType.StartObject ? "an object" : "a list")}; only text, numbers, booleans and null are supported."],
                        Records + 1);
                case JsonTokenType.String:
                    sink.Field(_key!, reader.GetString());
                    return;
                case JsonTokenType.Number:
                    sink.Field(_key!, Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan));
                    return;
                case JsonTokenType.True:
                    sink.Field(_key!, "true");
                    return;
                case JsonTokenType.False:
                    sink.Field(_key!, "false");
                    return;
                case JsonTokenType.Null:
                    sink.Field(_key!, null);
                    return;
                default:
                    return;
            }
        }
    }
}
