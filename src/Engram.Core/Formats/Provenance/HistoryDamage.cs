using System;
using System.IO;

namespace Engram.Core.Provenance
{
    /// <summary>
    /// A history that is damaged (not merely torn by a crash): a plain <c>MalformedProvenance</c>
    /// <see cref="EngramException"/> for callers, tagged with the verifier's finding kind (<c>TrailerMismatch</c>,
    /// <c>BrokenChain</c>, <c>MalformedProvenance</c>). Nothing that throws it has changed a byte.
    /// </summary>
    internal static class HistoryDamage
    {
        private const string KindKey = "Engram.FindingKind";

        public static EngramException Create(string findingKind, string message, string path)
        {
            var ex = new EngramException(EngramErrorIds.MalformedProvenance, EngramErrorKind.InvalidData, message, path);
            ex.Data[KindKey] = findingKind;
            return ex;
        }

        /// <summary>The finding kind of an exception made by <see cref="Create"/>; null for any other.</summary>
        public static string? KindOf(Exception ex) => ex.Data[KindKey] as string;
    }

    /// <summary>A read-only window [offset, offset+length) over another stream.</summary>
    internal sealed class BoundedStream : Stream
    {
        private readonly Stream _inner;
        private readonly long _end;

        public BoundedStream(Stream inner, long offset, long length)
        {
            _inner = inner;
            _inner.Position = offset;
            _end = offset + length;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            long left = _end - _inner.Position;
            if (left <= 0) return 0;
            return _inner.Read(buffer, offset, (int)Math.Min(count, left));
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
