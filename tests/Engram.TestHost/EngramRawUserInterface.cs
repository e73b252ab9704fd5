using System;
using System.Management.Automation.Host;

namespace Engram.Host
{
    /// <summary>
    /// A fixed-size virtual console. The formatter (Out-Default / Format-Table) sizes tables from
    /// <see cref="BufferSize"/>.Width, so a stable width keeps rendered output deterministic.
    /// There is no real screen buffer: reads throw, writes are ignored.
    /// </summary>
    public sealed class EngramRawUserInterface : PSHostRawUserInterface
    {
        public const int DefaultWidth = 120;
        private const int WindowHeight = 50;
        private const int BufferHeight = 9999;

        private Size _bufferSize;
        private Size _windowSize;

        public EngramRawUserInterface(int width = DefaultWidth)
        {
            if (width < 20) throw new ArgumentOutOfRangeException(nameof(width), width, "Console width must be at least 20 columns.");
            _bufferSize = new Size(width, BufferHeight);
            _windowSize = new Size(width, WindowHeight);
        }

        public override Size BufferSize { get => _bufferSize; set => _bufferSize = value; }

        public override Size WindowSize { get => _windowSize; set => _windowSize = value; }

        public override Size MaxWindowSize => _windowSize;

        public override Size MaxPhysicalWindowSize => _windowSize;

        public override Coordinates CursorPosition { get; set; }

        public override Coordinates WindowPosition { get; set; }

        public override int CursorSize { get; set; } = 25;

        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

        public override string WindowTitle { get; set; } = "EngramHost";

        public override bool KeyAvailable => false;

        public override void FlushInputBuffer() { }

        public override KeyInfo ReadKey(ReadKeyOptions options) =>
            throw new HostException("The Engram host is non-interactive and cannot read keys.",
                null, "EngramHostNonInteractive", System.Management.Automation.ErrorCategory.NotImplemented);

        public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
            throw new NotSupportedException("The Engram host has no screen buffer.");

        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }

        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }

        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
    }
}
