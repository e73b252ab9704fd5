using System;
using System.Globalization;
using System.Management.Automation.Host;
using System.Reflection;

namespace Engram.Host
{
    /// <summary>
    /// A minimal, non-interactive <see cref="PSHost"/>. Its main job is to give the engine a
    /// <see cref="PSHostUserInterface"/> so that Out-Default renders the format views (without a host
    /// the engine silently discards Out-Default output) and so that warnings/verbose/debug records and
    /// confirmation prompts have somewhere to go.
    /// </summary>
    public sealed class EngramHost : PSHost
    {
        private static readonly Version HostVersion =
            typeof(EngramHost).Assembly.GetName().Version ?? new Version(0, 1, 0);

        private readonly EngramHostUserInterface _ui;
        private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
        private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

        /// <summary>Creates a host whose UI writes to <paramref name="output"/> (Console.Out when null).</summary>
        public EngramHost(System.IO.TextWriter? output = null, int consoleWidth = EngramRawUserInterface.DefaultWidth)
            : this(new EngramHostUserInterface(output, consoleWidth))
        {
        }

        /// <summary>Creates a host around an existing UI (e.g. one with scripted prompt answers).</summary>
        public EngramHost(EngramHostUserInterface ui)
        {
            _ui = ui ?? throw new ArgumentNullException(nameof(ui));
        }

        public override string Name => "EngramHost";

        public override Version Version => HostVersion;

        public override Guid InstanceId { get; } = Guid.NewGuid();

        public override PSHostUserInterface UI => _ui;

        /// <summary>The same object as <see cref="UI"/>, typed, for access to capture/progress features.</summary>
        public EngramHostUserInterface HostUI => _ui;

        public override CultureInfo CurrentCulture => _culture;

        public override CultureInfo CurrentUICulture => _uiCulture;

        /// <summary>True once the engine (e.g. a top-level <c>exit N</c>) asked the host to exit.</summary>
        public bool ShouldExit { get; private set; }

        /// <summary>The exit code passed to <see cref="SetShouldExit"/>; meaningful only when <see cref="ShouldExit"/>.</summary>
        public int ExitCode { get; private set; }

        /// <summary>Forgets a previous exit request (the session does this before each run).</summary>
        public void ResetShouldExit()
        {
            ShouldExit = false;
            ExitCode = 0;
        }

        public override void SetShouldExit(int exitCode)
        {
            ShouldExit = true;
            ExitCode = exitCode;
        }

        // Nested prompts ($host.EnterNestedPrompt(), debugger breaks) are not supported by a
        // non-interactive host; the engine tolerates these being no-ops.
        public override void EnterNestedPrompt() { }

        public override void ExitNestedPrompt() { }

        public override void NotifyBeginApplication() { }

        public override void NotifyEndApplication() { }
    }
}
