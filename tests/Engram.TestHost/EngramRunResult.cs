using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;

namespace Engram.Host
{
    /// <summary>Everything one <see cref="EngramSession.Run"/> call produced.</summary>
    public sealed class EngramRunResult
    {
        internal EngramRunResult(
            Collection<PSObject> output,
            IReadOnlyList<ErrorRecord> errors,
            IReadOnlyList<WarningRecord> warnings,
            IReadOnlyList<VerboseRecord> verbose,
            IReadOnlyList<DebugRecord> debug,
            IReadOnlyList<InformationRecord> information,
            IReadOnlyList<ProgressRecord> progress,
            Exception? exception,
            string hostText,
            int? exitCode)
        {
            Output = output;
            Errors = errors;
            Warnings = warnings;
            Verbose = verbose;
            Debug = debug;
            Information = information;
            Progress = progress;
            Exception = exception;
            TerminatingError = (exception as IContainsErrorRecord)?.ErrorRecord;
            HostText = hostText;
            ExitCode = exitCode;
        }

        /// <summary>Objects written to the output stream (kept even when a terminating error stopped the run).</summary>
        public Collection<PSObject> Output { get; }

        /// <summary>Records from the error stream (non-terminating errors). The terminating error is not in here.</summary>
        public IReadOnlyList<ErrorRecord> Errors { get; }

        public IReadOnlyList<WarningRecord> Warnings { get; }

        public IReadOnlyList<VerboseRecord> Verbose { get; }

        public IReadOnlyList<DebugRecord> Debug { get; }

        /// <summary>Information stream (Write-Information, and Write-Host which is tagged PSHOST).</summary>
        public IReadOnlyList<InformationRecord> Information { get; }

        public IReadOnlyList<ProgressRecord> Progress { get; }

        /// <summary>The exception that ended the run (a RuntimeException from <c>throw</c>, -ErrorAction Stop, a parse error...).</summary>
        public Exception? Exception { get; }

        /// <summary>The <see cref="ErrorRecord"/> carried by <see cref="Exception"/>, when it has one.</summary>
        public ErrorRecord? TerminatingError { get; }

        public bool HadTerminatingError => Exception != null;

        /// <summary>True when the run neither threw nor wrote to the error stream.</summary>
        public bool Succeeded => Exception is null && Errors.Count == 0;

        /// <summary>Error-stream records followed by the terminating error (if any).</summary>
        public IEnumerable<ErrorRecord> AllErrors =>
            TerminatingError is null ? Errors : Errors.Concat(new[] { TerminatingError });

        /// <summary>What the host UI printed during this call (empty unless the session captures host text).</summary>
        public string HostText { get; }

        /// <summary>The code a top-level <c>exit N</c> (or <c>$host.SetShouldExit(N)</c>) asked for, else null.</summary>
        public int? ExitCode { get; }

        /// <summary>The output objects unwrapped from their PSObject (e.g. string, int, a cmdlet's record type).</summary>
        public IReadOnlyList<object?> BaseObjects => Output.Select(o => o?.BaseObject).ToList();

        public override string ToString() =>
            $"{Output.Count} output, {Errors.Count} error(s), {Warnings.Count} warning(s)" +
            (Exception is null ? string.Empty : ", terminated: " + Exception.Message);
    }
}
