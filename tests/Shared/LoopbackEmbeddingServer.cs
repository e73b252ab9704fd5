using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Engram.Tests.Shared
{
    /// <summary>
    /// A loopback HTTP server (ephemeral port) speaking the two embedding APIs the configuration can name: OpenAI's
    /// <c>POST /v1/embeddings</c> (float or base64 encoding) and Ollama's <c>POST /api/embed</c>, answering with the
    /// vectors of the function it is given; anything else is a 404. Counts the requests and records their
    /// Authorization headers. Linked into the test projects that need it.
    /// </summary>
    internal sealed class LoopbackEmbeddingServer : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly Task _loop;
        private readonly Func<string, float[]> _embed;
        private int _requests;

        /// <param name="embed">The vector the server answers for one input text.</param>
        public LoopbackEmbeddingServer(Func<string, float[]> embed)
        {
            _embed = embed;
            for (int attempt = 0; ; attempt++)
            {
                var probe = new TcpListener(IPAddress.Loopback, 0);
                probe.Start();
                Port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
                _listener = new HttpListener();
                _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
                try
                {
                    _listener.Start();
                    break;
                }
                catch (HttpListenerException) when (attempt < 5)
                {
                    // The probed port was taken by someone else in between: try another. (Closing a listener that
                    // never started can itself throw "address already in use" on Linux.)
                    try { _listener.Close(); }
                    catch (HttpListenerException) { }
                }
            }
            _loop = Task.Run(Loop);
        }

        public int Port { get; }
        public string BaseAddress => $"http://127.0.0.1:{Port}";
        /// <summary>The Authorization header of every request, in order (null when there was none).</summary>
        public List<string?> Authorizations { get; } = new List<string?>();
        public int Requests => Volatile.Read(ref _requests);

        /// <summary>When set, every request is refused with this status and a body that echoes the request's
        /// Authorization header (as some servers and proxies do): for tests that a key never reaches an error.</summary>
        public int? EchoAuthorizationWithStatus { get; set; }

        private async Task Loop()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                try { Handle(ctx); }
                catch (Exception ex)
                {
                    ctx.Response.StatusCode = 500;
                    var b = Encoding.UTF8.GetBytes(ex.Message);
                    ctx.Response.OutputStream.Write(b, 0, b.Length);
                    ctx.Response.Close();
                }
            }
        }

        private void Handle(HttpListenerContext ctx)
        {
            Interlocked.Increment(ref _requests);
            lock (Authorizations) Authorizations.Add(ctx.Request.Headers["Authorization"]);
            string body;
            using (var r = new StreamReader(ctx.Request.InputStream, Encoding.UTF8)) body = r.ReadToEnd();
            if (EchoAuthorizationWithStatus is int status)
            {
                var echo = Encoding.UTF8.GetBytes("{\"error\": {\"message\": \"invalid credentials: " + ctx.Request.Headers["Authorization"] + "\", \"type\": \"invalid_request_error\"}}");
                ctx.Response.StatusCode = status;
                ctx.Response.ContentType = "application/json";
                ctx.Response.ContentLength64 = echo.Length;
                ctx.Response.OutputStream.Write(echo, 0, echo.Length);
                ctx.Response.Close();
                return;
            }
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var inputs = new List<string>();
            var input = root.GetProperty("input");
            if (input.ValueKind == JsonValueKind.Array) inputs.AddRange(input.EnumerateArray().Select(e => e.GetString()!));
            else inputs.Add(input.GetString()!);
            var model = root.TryGetProperty("model", out var m) ? m.GetString() : "?";

            object response;
            var path = ctx.Request.Url!.AbsolutePath;
            if (path == "/v1/embeddings")
            {
                bool base64 = root.TryGetProperty("encoding_format", out var f) && f.GetString() == "base64";
                response = new
                {
                    @object = "list",
                    model,
                    data = inputs.Select((t, i) => new
                    {
                        @object = "embedding",
                        index = i,
                        embedding = base64 ? (object)Convert.ToBase64String(ToBytes(_embed(t))) : _embed(t),
                    }).ToArray(),
                    usage = new { prompt_tokens = 1, total_tokens = 1 },
                };
            }
            else if (path == "/api/embed")
            {
                response = new { model, embeddings = inputs.Select(_embed).ToArray() };
            }
            else
            {
                ctx.Response.StatusCode = 404;
                ctx.Response.Close();
                return;
            }
            var bytes = JsonSerializer.SerializeToUtf8Bytes(response);
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength64 = bytes.Length;
            ctx.Response.OutputStream.Write(bytes, 0, bytes.Length);
            ctx.Response.Close();
        }

        private static byte[] ToBytes(float[] v)
        {
            var b = new byte[v.Length * 4];
            Buffer.BlockCopy(v, 0, b, 0, b.Length);
            return b;
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        }
    }
}
