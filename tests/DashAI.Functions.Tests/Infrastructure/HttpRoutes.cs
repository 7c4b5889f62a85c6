using System.Reflection;
using DashAI.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>
/// One HTTP function of the app, found from its <c>[HttpTrigger]</c> attribute (what the build turns into
/// functions.metadata), so that a test over every route also covers a route added later.
/// </summary>
public sealed record HttpRoute(string Name, string Method, string Template, MethodInfo Function)
{
    /// <summary>Every HTTP function in the app assembly, in a stable order.</summary>
    public static IReadOnlyList<HttpRoute> All { get; } = Discover();

    /// <summary>The names in braces in the route template (<c>id</c>, <c>name</c>).</summary>
    public IReadOnlyList<string> RouteParameters { get; } =
        System.Text.RegularExpressions.Regex.Matches(Template, @"\{(\w+)[^}]*\}").Select(m => m.Groups[1].Value).ToList();

    public override string ToString() => $"{Method} /{Template} ({Name})";

    /// <summary>Invokes the function on an instance activated from the app's container, as the worker does.</summary>
    public async Task<IResult> InvokeAsync(TestApp app, HttpRequest request, IReadOnlyDictionary<string, string> routeValues, CancellationToken cancellationToken)
    {
        var instance = ActivatorUtilities.CreateInstance(app.Services, Function.DeclaringType!);
        var arguments = Function.GetParameters().Select(p => p.ParameterType switch
        {
            var t when t == typeof(HttpRequest) => request,
            var t when t == typeof(CancellationToken) => (object)cancellationToken,
            var t when t == typeof(string) => routeValues.TryGetValue(p.Name!, out var value) ? value : throw new InvalidOperationException($"{this} needs route value '{p.Name}'."),
            var t => throw new NotSupportedException($"{this}: cannot bind parameter {p.Name} of type {t}."),
        }).ToArray();
        try
        {
            return Function.Invoke(instance, arguments) switch
            {
                Task<IResult> task => await task,
                IResult result => result,
                var other => throw new NotSupportedException($"{this} returned {other?.GetType()}."),
            };
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private static List<HttpRoute> Discover()
    {
        var routes = new List<HttpRoute>();
        foreach (var type in typeof(DashAIServiceCollectionExtensions).Assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                var function = method.GetCustomAttribute<FunctionAttribute>();
                var trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null);
                if (function is null || trigger is null)
                {
                    continue;
                }

                foreach (var verb in trigger.Methods ?? [])
                {
                    routes.Add(new HttpRoute(function.Name, verb.ToUpperInvariant(), trigger.Route ?? function.Name, method));
                }
            }
        }

        return [.. routes.OrderBy(r => r.Template, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)];
    }
}
