using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Engram.Host
{
    /// <summary>
    /// engram-host: runs a PowerShell script (or script text) with the built Engram module imported, for machines
    /// without pwsh. Output is rendered through Out-Default (the module's format views); errors go to stderr.
    /// </summary>
    public static class Program
    {
        public const int ExitOk = 0;
        public const int ExitFailed = 1;
        public const int ExitUsage = 2;

        private const string Usage =
@"engram-host: run PowerShell with the Engram module imported (no pwsh needed).

Usage:
  engram-host [-Module <path>] <script.ps1> [script arguments...]
  engram-host [-Module <path>] -Command <script text...>
  engram-host -h | --help

Options:
  -File <script.ps1>   Same as giving the script path first; what follows are the script's arguments,
                       bound like pwsh -File (-Name value, -Switch, -Name:value, positional strings).
  -Command, -c <text>  Run script text (all remaining arguments, joined by spaces; '-' reads stdin).
  -Module, -m <path>   Engram.psd1 (or its folder) to import. Default: $ENGRAM_MODULE_PATH, else
                       out/Engram/Engram.psd1 in the repository (build it with 'dotnet build -c Release').

Exit code: the script's 'exit N' if it called exit; otherwise 1 if any error was written or a terminating
error occurred, else 0. 2 means bad command-line usage.

Example:
  dotnet run --project src/Engram.Host -c Release -- examples/quickstart.ps1";

        public static int Main(string[] args)
        {
            Options options;
            try
            {
                options = Options.Parse(args);
            }
            catch (UsageException ex)
            {
                Console.Error.WriteLine("engram-host: " + ex.Message);
                Console.Error.WriteLine("Run 'engram-host --help' for usage.");
                return ExitUsage;
            }

            if (options.ShowHelp)
            {
                Console.WriteLine(Usage);
                return ExitOk;
            }

            try
            {
                // Errors are echoed pwsh-style to stderr as they happen; output renders to stdout via Out-Default.
                var sessionOptions = new EngramSessionOptions
                {
                    Output = Console.Out,
                    ErrorOutput = Console.Error,
                    CaptureHostText = false,
                    EchoErrors = true,
                };
                using var session = new EngramSession(options.ModulePath, sessionOptions);

                EngramRunResult result = options.ScriptFile != null
                    ? session.RunFile(options.ScriptFile, options.ScriptArguments, outDefault: true)
                    : session.Run(options.CommandText!, outDefault: true);

                if (result.ExitCode is int requested) return requested;
                return result.Succeeded ? ExitOk : ExitFailed;
            }
            catch (FileNotFoundException ex)
            {
                // Module not built / wrong -Module path / missing script: the message says what to do.
                Console.Error.WriteLine("engram-host: " + ex.Message);
                return ExitFailed;
            }
            catch (InvalidOperationException ex)
            {
                // Import-Module failed; the message carries the formatted PowerShell errors.
                Console.Error.WriteLine("engram-host: " + ex.Message);
                return ExitFailed;
            }
        }

        private sealed class UsageException : Exception
        {
            public UsageException(string message) : base(message) { }
        }

        /// <summary>Command-line options. Host options come first; the script path or -Command ends them.</summary>
        private sealed class Options
        {
            public bool ShowHelp { get; private set; }
            public string? ModulePath { get; private set; }
            public string? ScriptFile { get; private set; }
            public string? CommandText { get; private set; }
            public List<string> ScriptArguments { get; } = new List<string>();

            public static Options Parse(string[] args)
            {
                var options = new Options();
                for (int i = 0; i < args.Length; i++)
                {
                    string arg = args[i];
                    switch (arg.ToLowerInvariant())
                    {
                        case "-h":
                        case "--help":
                        case "-help":
                        case "-?":
                        case "/?":
                            options.ShowHelp = true;
                            return options;

                        case "-module":
                        case "--module":
                        case "-m":
                            options.ModulePath = ValueAfter(args, ref i, arg);
                            break;

                        case "-command":
                        case "--command":
                        case "-c":
                            if (i + 1 >= args.Length) throw new UsageException(arg + " needs script text.");
                            string text = string.Join(" ", args.Skip(i + 1));
                            options.CommandText = text == "-" ? Console.In.ReadToEnd() : text;
                            return options;

                        case "-file":
                        case "--file":
                        case "-f":
                            options.ScriptFile = ValueAfter(args, ref i, arg);
                            options.ScriptArguments.AddRange(args.Skip(i + 1));
                            return options;

                        default:
                            if (arg.StartsWith("-", StringComparison.Ordinal) && arg.Length > 1)
                            {
                                throw new UsageException("unknown option '" + arg + "'.");
                            }
                            options.ScriptFile = arg;
                            options.ScriptArguments.AddRange(args.Skip(i + 1));
                            return options;
                    }
                }

                throw new UsageException("give a script file or -Command <text>.");
            }

            private static string ValueAfter(string[] args, ref int i, string option)
            {
                if (i + 1 >= args.Length) throw new UsageException(option + " needs a value.");
                return args[++i];
            }
        }
    }
}
