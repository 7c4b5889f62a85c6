// Benchmark commands print one JSON line of figures each; see README ("Benchmarks").
return args.FirstOrDefault() switch
{
    "train" => DashAI.Benchmarks.TrainCommand.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: DashAI.Benchmarks <command> [options]");
    Console.Error.WriteLine("commands: (none yet)");
    return 2;
}
