using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Text;

namespace Engram.Host
{
    /// <summary>Settings for <see cref="EngramSession"/>. All optional.</summary>
    public sealed class EngramSessionOptions
    {
        /// <summary>Engram.psd1 (or its folder) to import; null means <see cref="ModuleLocator.FindModuleManifest"/>.</summary>
        public string? ModuleManifestPath { get; set; }

        /// <summary>Import the module when the session opens (default true).</summary>
        public bool ImportModule { get; set; } = true;

        /// <summary>Where the host UI writes; null means Console.Out. Use TextWriter.Null to keep quiet.</summary>
        public TextWriter? Output { get; set; }

        /// <summary>Where the host UI writes error lines; null means the same as <see cref="Output"/>.</summary>
        public TextWriter? ErrorOutput { get; set; }

        /// <summary>Collect what the host printed during each run into <see cref="EngramRunResult.HostText"/> (default true).</summary>
        public bool CaptureHostText { get; set; } = true;

        /// <summary>Print each error record through the host UI as it is written, pwsh style.</summary>
        public bool EchoErrors { get; set; }

        /// <summary>Console width reported to the formatter (default 120).</summary>
        public int ConsoleWidth { get; set; } = EngramRawUserInterface.DefaultWidth;

        /// <summary>Answers for prompts (ReadLine, Prompt, PromptForChoice / -Confirm), consumed in order.</summary>
        public IEnumerable<string>? ScriptedInput { get; set; }
    }

    /// <summary>
    /// One PowerShell runspace (CreateDefault + <see cref="EngramHost"/>, Bypass execution policy on Windows) with the
    /// Engram module imported. State (variables, functions, $Error, location) persists across <see cref="Run"/> calls.
    /// Not thread-safe: one call at a time.
    /// </summary>
    public sealed class EngramSession : IDisposable
    {
        private readonly Runspace _runspace;
        private readonly bool _captureHostText;
        private readonly bool _echoErrors;
        private bool _disposed;

        public EngramSession(string? moduleManifestPath = null, EngramSessionOptions? options = null)
        {
            options ??= new EngramSessionOptions();
            _captureHostText = options.CaptureHostText;
            _echoErrors = options.EchoErrors;

            var ui = new EngramHostUserInterface(options.Output, options.ConsoleWidth) { ErrorOutput = options.ErrorOutput };
            foreach (string answer in options.ScriptedInput ?? Enumerable.Empty<string>()) ui.ScriptedInput.Enqueue(answer);
            Host = new EngramHost(ui);

            // The full engine a pwsh user has (Microsoft.PowerShell.SDK): Core plus the Utility, Management and Security
            // commands (Select-Object, ConvertTo-Json, Export-Csv, Get-Date, Join-Path, ...).
            InitialSessionState iss = InitialSessionState.CreateDefault();
            // Execution policy only exists on Windows (.ps1 files, the module's format file). Elsewhere everything runs
            // unrestricted, and setting the policy makes Runspace.Open() throw PlatformNotSupportedException.
            if (OperatingSystem.IsWindows()) iss.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
            _runspace = RunspaceFactory.CreateRunspace(Host, iss);
            _runspace.Open();

            if (options.ImportModule)
            {
                string? explicitPath = moduleManifestPath ?? options.ModuleManifestPath;
                try
                {
                    ImportModule(explicitPath ?? ModuleLocator.FindModuleManifest());
                }
                catch
                {
                    _runspace.Dispose();
                    throw;
                }
            }
        }

        public EngramHost Host { get; }

        public Runspace Runspace => _runspace;

        /// <summary>Full path of the imported Engram.psd1 (null when the module was not imported).</summary>
        public string? ModuleManifestPath { get; private set; }

        /// <summary>Imports a module manifest into the session; throws <see cref="InvalidOperationException"/> with the errors if that fails.</summary>
        public void ImportModule(string manifestPath)
        {
            string full = ModuleLocator.ResolveManifest(manifestPath);
            EngramRunResult result = Invoke(ps => ps.AddCommand("Import-Module")
                .AddParameter("Name", full)
                .AddParameter("ErrorAction", ActionPreference.Stop));
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("Import-Module '" + full + "' failed:" + Environment.NewLine +
                    string.Join(Environment.NewLine, result.AllErrors.Select(FormatError)), result.Exception);
            }
            ModuleManifestPath = full;
        }

        /// <summary>
        /// Runs script text. <paramref name="variables"/> are set as global variables first (they persist).
        /// With <paramref name="outDefault"/> the output is piped to Out-Default, i.e. rendered by the format views
        /// into the host (and <see cref="EngramRunResult.Output"/> stays empty). Terminating errors are captured, not thrown.
        /// </summary>
        public EngramRunResult Run(string script, IDictionary<string, object?>? variables = null, bool outDefault = false)
        {
            ArgumentNullException.ThrowIfNull(script);
            SetVariables(variables);
            return Invoke(ps =>
            {
                ps.AddScript(script);
                if (outDefault) ps.AddCommand("Out-Default");
            });
        }

        /// <summary>
        /// Runs a .ps1 file like <c>pwsh -File</c>: arguments such as <c>-Name</c> or <c>-Name:value</c> bind as parameter
        /// names, everything else is passed as a literal string, and an <c>exit N</c> anywhere in the script sets
        /// <see cref="EngramRunResult.ExitCode"/>. Parse errors come back as a terminating <see cref="ParseException"/>.
        /// </summary>
        public EngramRunResult RunFile(string path, IEnumerable<string>? args = null, bool outDefault = false)
        {
            string full = Path.GetFullPath(path);
            if (!File.Exists(full)) throw new FileNotFoundException("Script file not found: " + full, full);

            // Invoking the file by path ("& 'x.ps1'") would swallow `exit N` into $LASTEXITCODE: the engine only tells
            // the host (SetShouldExit) about exits that reach the top level. A script block parsed from the file lets
            // `exit` propagate while keeping $PSScriptRoot/$PSCommandPath, since the block remembers its file.
            ScriptBlockAst ast = Parser.ParseFile(full, out _, out ParseError[] parseErrors);
            if (parseErrors.Length > 0) return FailedBeforeRun(new ParseException(parseErrors));

            var script = new StringBuilder("& $args[0]");
            foreach (string arg in args ?? Enumerable.Empty<string>()) script.Append(' ').Append(ArgumentToken(arg));
            return Invoke(ps =>
            {
                ps.AddScript(script.ToString()).AddArgument(ast.GetScriptBlock());
                if (outDefault) ps.AddCommand("Out-Default");
            });
        }

        /// <summary>Runs an arbitrary command built on a <see cref="PowerShell"/> bound to this session's runspace.</summary>
        public EngramRunResult Invoke(Action<PowerShell> build)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using PowerShell ps = PowerShell.Create(_runspace);
            build(ps);

            StringWriter? capture = _captureHostText ? new StringWriter() : null;
            Host.ResetShouldExit();
            Host.HostUI.SetCapture(capture);
            if (_echoErrors) ps.Streams.Error.DataAdded += EchoError;

            // Invoke into our own collection so objects written before a terminating error are kept.
            var output = new Collection<PSObject>();
            Exception? exception = null;
            try
            {
                ps.Invoke(null, output);
            }
            catch (RuntimeException ex)
            {
                // throw, -ErrorAction Stop, parse errors, a host prompt refusing (HostException), pipeline stopped...
                exception = ex;
                if (_echoErrors) Host.UI.WriteErrorLine(FormatError(ex.ErrorRecord));
            }
            finally
            {
                Host.HostUI.SetCapture(null);
            }

            return new EngramRunResult(
                output,
                ps.Streams.Error.ToList(),
                ps.Streams.Warning.ToList(),
                ps.Streams.Verbose.ToList(),
                ps.Streams.Debug.ToList(),
                ps.Streams.Information.ToList(),
                ps.Streams.Progress.ToList(),
                exception,
                capture?.ToString() ?? string.Empty,
                Host.ShouldExit ? Host.ExitCode : (int?)null);
        }

        private EngramRunResult FailedBeforeRun(RuntimeException exception)
        {
            string echoed = string.Empty;
            if (_echoErrors)
            {
                Host.UI.WriteErrorLine(FormatError(exception.ErrorRecord));
                if (_captureHostText) echoed = FormatError(exception.ErrorRecord) + Environment.NewLine;
            }
            return new EngramRunResult(new Collection<PSObject>(), Array.Empty<ErrorRecord>(), Array.Empty<WarningRecord>(),
                Array.Empty<VerboseRecord>(), Array.Empty<DebugRecord>(), Array.Empty<InformationRecord>(),
                Array.Empty<ProgressRecord>(), exception, echoed, null);
        }

        public void SetVariable(string name, object? value) => _runspace.SessionStateProxy.SetVariable(name, value);

        public object? GetVariable(string name) => _runspace.SessionStateProxy.GetVariable(name);

        private void SetVariables(IDictionary<string, object?>? variables)
        {
            if (variables is null) return;
            foreach (KeyValuePair<string, object?> pair in variables) SetVariable(pair.Key, pair.Value);
        }

        private void EchoError(object? sender, DataAddedEventArgs e)
        {
            if (sender is PSDataCollection<ErrorRecord> errors) Host.UI.WriteErrorLine(FormatError(errors[e.Index]));
        }

        /// <summary>
        /// Formats an error like pwsh's NormalView: the message, the script position when known, then
        /// <c>+ CategoryInfo</c> and <c>+ FullyQualifiedErrorId</c> lines.
        /// </summary>
        public static string FormatError(ErrorRecord record)
        {
            string message = record.ErrorDetails?.Message is { Length: > 0 } details
                ? details
                : record.Exception?.Message ?? record.ToString();
            var text = new StringBuilder(message);
            // Parse errors from a file already start with their position ("At x.ps1:1 char:4"): don't repeat it.
            string? position = record.InvocationInfo?.PositionMessage;
            if (!string.IsNullOrEmpty(position) && !message.Contains(position!.Split('\n')[0].TrimEnd()))
            {
                text.AppendLine().Append(position);
            }
            text.AppendLine().Append("    + CategoryInfo          : ").Append(record.CategoryInfo);
            text.AppendLine().Append("    + FullyQualifiedErrorId : ").Append(record.FullyQualifiedErrorId);
            return text.ToString();
        }

        private static string Quote(string value) => "'" + value.Replace("'", "''") + "'";

        // pwsh -File semantics, simplified: "-Name" stays a parameter token, "-Name:value" binds value as a string,
        // anything else is a single-quoted literal (so $, backticks and spaces are not interpreted).
        private static string ArgumentToken(string arg)
        {
            if (arg.Length > 1 && arg[0] == '-' && (char.IsLetter(arg[1]) || arg[1] == '_'))
            {
                int colon = arg.IndexOf(':');
                string name = colon < 0 ? arg : arg.Substring(0, colon);
                if (name.Skip(1).All(c => char.IsLetterOrDigit(c) || c == '_' || c == '-'))
                {
                    if (colon < 0) return name;
                    string value = arg.Substring(colon + 1);
                    // -Switch:$true / -Switch:$false must stay booleans, as pwsh -File allows.
                    if (value.Equals("$true", StringComparison.OrdinalIgnoreCase) ||
                        value.Equals("$false", StringComparison.OrdinalIgnoreCase))
                    {
                        return name + ":" + value.ToLowerInvariant();
                    }
                    return name + ":" + Quote(value);
                }
            }
            return Quote(arg);
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _runspace.Dispose();
        }
    }
}
