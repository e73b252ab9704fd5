using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace Engram.Core.Search
{
    /// <summary>
    /// Keeps an API key out of every error: a failure of the generator it wraps (whose message may quote the server's
    /// answer, and a server may echo the Authorization header) is rethrown as a <see cref="RedactedException"/> whose
    /// message, and every inner exception's, has the key replaced by <c>***</c>. The original exceptions are dropped, so
    /// no ErrorRecord, log or <c>ToString()</c> can show the key. Public for the generator factories outside Core
    /// (Engram.Embeddings wraps every keyed client in one).
    /// </summary>
    public sealed class SecretScrubbingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly string _secret;

        public SecretScrubbingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, string secret) : base(inner)
        {
            _secret = secret;
        }

        public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
            EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            try
            {
                return await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                throw RedactedException.From(ex, _secret);
            }
        }
    }

    /// <summary>A copy of an exception (type name, message, inner chain) with a secret removed from every message.</summary>
    public sealed class RedactedException : Exception
    {
        private RedactedException(string message, string originalType, Exception? inner) : base(message, inner)
        {
            OriginalType = originalType;
        }

        /// <summary>The full name of the exception type this is a copy of.</summary>
        public string OriginalType { get; }

        /// <summary>The redacted copy of <paramref name="ex"/> and of its inner exceptions.</summary>
        public static RedactedException From(Exception ex, string secret)
        {
            var inner = ex.InnerException == null ? null : From(ex.InnerException, secret);
            if (ex is AggregateException agg && agg.InnerExceptions.Count == 1 && inner != null) return inner;
            return new RedactedException(Scrub(ex.Message, secret), ex.GetType().FullName ?? ex.GetType().Name, inner);
        }

        /// <summary><paramref name="text"/> with every occurrence of <paramref name="secret"/> (also URL-encoded) replaced by <c>***</c>.</summary>
        public static string Scrub(string text, string secret)
        {
            if (string.IsNullOrEmpty(text) || string.IsNullOrEmpty(secret)) return text;
            text = Replace(text, secret);
            var escaped = Uri.EscapeDataString(secret);
            return escaped == secret ? text : Replace(text, escaped);
        }

        private static string Replace(string text, string secret)
        {
            int at = text.IndexOf(secret, StringComparison.Ordinal);
            if (at < 0) return text;
            var sb = new System.Text.StringBuilder(text.Length);
            int from = 0;
            while (at >= 0)
            {
                sb.Append(text, from, at - from).Append("***");
                from = at + secret.Length;
                at = text.IndexOf(secret, from, StringComparison.Ordinal);
            }
            return sb.Append(text, from, text.Length - from).ToString();
        }

        public override string ToString() => OriginalType + " (redacted): " + Message + (InnerException == null ? "" : " ---> " + InnerException);
    }
}
