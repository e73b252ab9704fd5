using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text.RegularExpressions;

namespace Engram.Host
{
    /// <summary>
    /// Host UI that writes plain text (no colours, no VT sequences) to a <see cref="TextWriter"/>.
    /// Prompts are answered from <see cref="ScriptedInput"/>; when it is empty the UI throws a
    /// <see cref="HostException"/> (error id <c>EngramHostNonInteractive</c>) instead of blocking.
    /// </summary>
    /// <remarks>
    /// The engine decorates some output with VT sequences even though <see cref="PSHostUserInterface.SupportsVirtualTerminal"/>
    /// is false here (e.g. green table headers: only pwsh's own console host strips them for PlainText rendering), so
    /// this UI removes them itself unless <see cref="KeepEscapeSequences"/> is set.
    /// </remarks>
    public sealed class EngramHostUserInterface : PSHostUserInterface
    {
        // CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks, titles).
        private static readonly Regex EscapeSequence =
            new Regex(@"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)", RegexOptions.Compiled);

        private readonly object _gate = new object();
        private readonly EngramRawUserInterface _rawUI;
        private TextWriter? _capture;

        public EngramHostUserInterface(TextWriter? output = null, int consoleWidth = EngramRawUserInterface.DefaultWidth)
        {
            Output = output ?? Console.Out;
            _rawUI = new EngramRawUserInterface(consoleWidth);
        }

        /// <summary>Where normal, warning, verbose and debug text goes.</summary>
        public TextWriter Output { get; set; }

        /// <summary>Where <see cref="WriteErrorLine"/> text goes; <see cref="Output"/> when null.</summary>
        public TextWriter? ErrorOutput { get; set; }

        /// <summary>When set, each progress record is also written as one line ("PROGRESS: activity: status 40%").</summary>
        public TextWriter? ProgressOutput { get; set; }

        /// <summary>Pass VT escape sequences through unchanged (default false: they are stripped).</summary>
        public bool KeepEscapeSequences { get; set; }

        /// <summary>Every progress record the engine sent to the host, in order.</summary>
        public List<ProgressRecord> ProgressRecords { get; } = new List<ProgressRecord>();

        /// <summary>Answers consumed, in order, by ReadLine, Prompt (one per field) and PromptForChoice.</summary>
        public Queue<string> ScriptedInput { get; } = new Queue<string>();

        public override PSHostRawUserInterface RawUI => _rawUI;

        /// <summary>
        /// Starts teeing everything this UI writes (including errors) into <paramref name="capture"/>,
        /// in addition to the normal writers. Pass null to stop. Used by <see cref="EngramSession"/> to
        /// collect per-call host text.
        /// </summary>
        public void SetCapture(TextWriter? capture)
        {
            lock (_gate) _capture = capture;
        }

        // ---- writing -------------------------------------------------------------------------

        public override void Write(string value) => Emit(Output, value, newLine: false);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
            Emit(Output, value, newLine: false);

        public override void WriteLine(string value) => Emit(Output, value, newLine: true);

        public override void WriteLine() => Emit(Output, string.Empty, newLine: true);

        public override void WriteLine(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
            Emit(Output, value, newLine: true);

        public override void WriteErrorLine(string value) => Emit(ErrorOutput ?? Output, value, newLine: true);

        public override void WriteWarningLine(string message) => Emit(Output, "WARNING: " + message, newLine: true);

        public override void WriteVerboseLine(string message) => Emit(Output, "VERBOSE: " + message, newLine: true);

        public override void WriteDebugLine(string message) => Emit(Output, "DEBUG: " + message, newLine: true);

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
            if (record is null) return;
            lock (_gate)
            {
                ProgressRecords.Add(record);
                if (ProgressOutput is null) return;
                string percent = record.PercentComplete >= 0 ? " " + record.PercentComplete + "%" : string.Empty;
                string state = record.RecordType == ProgressRecordType.Completed ? " (completed)" : string.Empty;
                ProgressOutput.WriteLine("PROGRESS: " + record.Activity + ": " + record.StatusDescription + percent + state);
                ProgressOutput.Flush();
            }
        }

        private void Emit(TextWriter target, string? value, bool newLine)
        {
            value ??= string.Empty;
            if (!KeepEscapeSequences && value.Contains('\x1b', StringComparison.Ordinal)) value = EscapeSequence.Replace(value, string.Empty);
            lock (_gate)
            {
                if (newLine)
                {
                    target.WriteLine(value);
                    _capture?.WriteLine(value);
                }
                else
                {
                    target.Write(value);
                    _capture?.Write(value);
                }
                target.Flush();
            }
        }

        // ---- input ---------------------------------------------------------------------------

        public override string ReadLine() => NextAnswer("ReadLine");

        public override SecureString ReadLineAsSecureString()
        {
            var secure = new SecureString();
            foreach (char c in NextAnswer("ReadLineAsSecureString")) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
        {
            var answers = new Dictionary<string, PSObject>(StringComparer.OrdinalIgnoreCase);
            foreach (FieldDescription field in descriptions)
            {
                answers[field.Name] = PSObject.AsPSObject(NextAnswer("Prompt for '" + field.Name + "'"));
            }
            return answers;
        }

        /// <summary>
        /// Answers a choice prompt (this is what -Confirm and ShouldContinue use). A scripted answer may be
        /// the choice's label with or without '&amp;' ("Yes", "&amp;Yes"), its hot key ("Y") or its index ("0").
        /// </summary>
        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            string answer = NextAnswer("PromptForChoice '" + caption + "'").Trim();
            if (answer.Length == 0 && defaultChoice >= 0) return defaultChoice;
            if (int.TryParse(answer, out int index) && index >= 0 && index < choices.Count) return index;

            for (int i = 0; i < choices.Count; i++)
            {
                string label = choices[i].Label;
                int amp = label.IndexOf('&');
                string plain = label.Replace("&", string.Empty);
                string hotKey = amp >= 0 && amp + 1 < label.Length ? label.Substring(amp + 1, 1) : string.Empty;
                if (string.Equals(answer, label, StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(answer, plain, StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(answer, hotKey, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }

            throw new HostException(
                "Scripted answer '" + answer + "' matches none of the choices offered by '" + caption + "'.",
                null, "EngramHostUnknownChoice", ErrorCategory.InvalidArgument);
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw NonInteractive("PromptForCredential");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
            PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw NonInteractive("PromptForCredential");

        private string NextAnswer(string what)
        {
            lock (_gate)
            {
                if (ScriptedInput.Count > 0) return ScriptedInput.Dequeue();
            }
            throw NonInteractive(what);
        }

        private static HostException NonInteractive(string what) =>
            new HostException(
                "The Engram host is non-interactive and has no scripted answer for " + what +
                ". Avoid prompts (for example pass -Confirm:$false) or queue answers in ScriptedInput.",
                null, "EngramHostNonInteractive", ErrorCategory.NotImplemented);
    }
}
