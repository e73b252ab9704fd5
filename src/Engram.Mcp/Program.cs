using System;
using System.IO;
using System.Threading.Tasks;
using Engram.Core;
using Engram.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;

namespace Engram.Mcp
{
    /// <summary>
    /// engram-mcp: <c>engram-mcp [--store &lt;location&gt;] [--actor &lt;name&gt;]</c>. Serves the Engram tools over MCP on
    /// stdin/stdout until stdin closes. Standard output carries JSON-RPC only; every log line goes to standard error.
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            ServerOptions options;
            try { options = ServerOptions.Parse(args); }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine("engram-mcp: " + ex.Message);
                Console.Error.WriteLine(ServerOptions.Usage);
                return 2;
            }
            if (options.Help)
            {
                Console.Error.WriteLine(ServerOptions.Usage);
                return 0;
            }

            // Anything written to Console.Out by accident (a library, a stray WriteLine) would corrupt the protocol:
            // the SDK's stdio transport writes to the real standard output stream, and Console.Out goes to stderr.
            Console.SetOut(Console.Error);

            IEngramStore store;
            try { store = EngramBackends.Open(options.Store ?? StoreLocator.DefaultRoot()); }
            catch (EngramException ex)
            {
                Console.Error.WriteLine($"engram-mcp: {ex.ErrorId}: {ex.Message}");
                return 1;
            }

            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = Array.Empty<string>() });
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(options.LogLevel);
            builder.Services.AddSingleton(new EngramToolContext(store, options.Actor));
            builder.Services
                .AddMcpServer(o =>
                {
                    o.ServerInfo = new Implementation { Name = "engram", Version = typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.0.0" };
                    o.ServerInstructions = "Engram memories: namespaced key/value records with per-memory history (actor, time, reason, prior "
                        + "values), hash-chained tamper evidence, branches and three-way merges. Use expected_version for conditional writes.";
                })
                .WithStdioServerTransport()
                .WithRequestFilters(f => f.AddCallToolFilter(ToolResults.BindingErrors))
                .WithTools<EngramTools>()
                .WithTools<MemoryToolTools>();

            using var host = builder.Build();
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("engram-mcp");
            logger.LogInformation("Serving the Engram store {Store} ({Backend}) over MCP on stdio", store.Root, store.Backend);
            try
            {
                await host.RunAsync().ConfigureAwait(false);
                return 0;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                logger.LogCritical(ex, "engram-mcp stopped on an unexpected error");
                return 1;
            }
            finally
            {
                (store as IDisposable)?.Dispose();
            }
        }
    }

    /// <summary>The command line.</summary>
    public sealed class ServerOptions
    {
        public const string Usage = "usage: engram-mcp [--store <folder | sqlite:<file> | PostgreSQL address>] [--actor <name>] [--log-level <level>]\n"
            + "  --store      the store (default: $ENGRAM_STORE, else the per-user data folder, as the PowerShell module)\n"
            + "  --actor      record this actor for every change (default: the client's clientInfo name/version)\n"
            + "  --log-level  Trace, Debug, Information, Warning (default), Error, None; logs go to standard error";

        public string? Store { get; private set; }
        public string? Actor { get; private set; }
        public LogLevel LogLevel { get; private set; } = LogLevel.Warning;
        public bool Help { get; private set; }

        public static ServerOptions Parse(string[] args)
        {
            var o = new ServerOptions();
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--store": o.Store = Next(); break;
                    case "--actor":
                        o.Actor = Next();
                        if (string.IsNullOrWhiteSpace(o.Actor)) throw new ArgumentException("--actor needs a name.");
                        break;
                    case "--log-level":
                        var level = Next();
                        if (!Enum.TryParse<LogLevel>(level, true, out var l)) throw new ArgumentException($"'{level}' is not a log level.");
                        o.LogLevel = l;
                        break;
                    case "-h": case "--help": case "-?": o.Help = true; break;
                    default: throw new ArgumentException($"unknown argument '{args[i]}'.");
                }
            }
            return o;
        }
    }
}
