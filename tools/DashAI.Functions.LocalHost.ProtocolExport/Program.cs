using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;

// Usage: ProtocolExport <descriptor-set-output> <file-list-output> <csharp-namespace>
// Writes the worker protocol's FileDescriptorSet (the protocol file and everything it imports, dependencies
// first, as protoc expects) and the list of non-well-known files to generate code for.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ProtocolExport <descriptor-set.pb> <files.txt> <csharp-namespace>");
    return 2;
}

const string ReflectionTypeName = "Microsoft.Azure.Functions.Worker.Grpc.Messages.FunctionRpcReflection";
var grpcAssembly = Assembly.Load("Microsoft.Azure.Functions.Worker.Grpc");
var reflectionType = grpcAssembly.GetType(ReflectionTypeName, throwOnError: true)!;
var descriptorProperty = reflectionType.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
    ?? throw new InvalidOperationException($"{ReflectionTypeName}.Descriptor not found.");
var root = (FileDescriptor)descriptorProperty.GetValue(null)!;

var ordered = new List<FileDescriptor>();
var seen = new HashSet<string>(StringComparer.Ordinal);
Visit(root);

var set = new FileDescriptorSet();
var toGenerate = new List<string>();
foreach (var file in ordered)
{
    var proto = FileDescriptorProto.Parser.ParseFrom(file.SerializedData);
    if (!file.Name.StartsWith("google/protobuf/", StringComparison.Ordinal))
    {
        // Our own namespace: the harness never mixes these types with the worker's copies.
        proto.Options ??= new Google.Protobuf.Reflection.FileOptions();
        proto.Options.CsharpNamespace = args[2];
        toGenerate.Add(file.Name);
    }

    set.File.Add(proto);
}

var messageCount = ordered.Sum(f => CountMessages(f.MessageTypes));
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[0]))!);
File.WriteAllBytes(args[0], set.ToByteArray());
File.WriteAllLines(args[1], toGenerate);
Console.WriteLine($"Exported {ordered.Count} protocol files ({messageCount} messages) from {grpcAssembly.GetName().Name} {grpcAssembly.GetName().Version}.");
return 0;

void Visit(FileDescriptor file)
{
    if (!seen.Add(file.Name))
    {
        return;
    }

    foreach (var dependency in file.Dependencies)
    {
        Visit(dependency);
    }

    ordered.Add(file);
}

static int CountMessages(IEnumerable<MessageDescriptor> messages) =>
    messages.Sum(m => 1 + CountMessages(m.NestedTypes));
