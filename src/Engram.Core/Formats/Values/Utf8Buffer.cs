using System;
using System.Buffers;
using System.Text;

namespace Engram.Core.Values
{
    /// <summary>
    /// A growable UTF-8 byte buffer rented from the shared array pool: large values are rendered, hashed and written
    /// without a string copy per step and without garbage on the large-object heap. Dispose returns the array.
    /// </summary>
    internal sealed class Utf8Buffer : IDisposable
    {
        /// <summary>Strict: an unpaired surrogate throws instead of becoming U+FFFD.</summary>
        public static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        private byte[]? _array;

        public Utf8Buffer(int capacity = 256) => _array = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 16));

        public byte[] Array => _array ?? throw new ObjectDisposedException(nameof(Utf8Buffer));
        public int Length { get; private set; }
        public ArraySegment<byte> Segment => new ArraySegment<byte>(Array, 0, Length);

        private void Ensure(int extra)
        {
            var a = Array;
            if (Length + extra <= a.Length) return;
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(a.Length * 2, Length + extra));
            Buffer.BlockCopy(a, 0, bigger, 0, Length);
            ArrayPool<byte>.Shared.Return(a);
            _array = bigger;
        }

        /// <summary>Appends the UTF-8 of a whole string (throws <see cref="EncoderFallbackException"/> on an unpaired surrogate).</summary>
        public void Append(string s)
        {
            Ensure(s.Length <= 256 ? s.Length * 3 : Strict.GetByteCount(s));
            Length += Strict.GetBytes(s, 0, s.Length, Array, Length);
        }

        public void Append(byte b)
        {
            Ensure(1);
            Array[Length++] = b;
        }

        public void Append(byte[] bytes, int offset, int count)
        {
            Ensure(count);
            Buffer.BlockCopy(bytes, offset, Array, Length, count);
            Length += count;
        }

        public override string ToString() => Strict.GetString(Array, 0, Length);

        public void Dispose()
        {
            var a = _array;
            _array = null;
            if (a != null) ArrayPool<byte>.Shared.Return(a);
        }
    }
}
