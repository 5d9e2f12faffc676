using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace GRump.Gateway.Dashboard.Internal;

/// <summary>
/// The page and its assets, embedded in the assembly (a gateway started from any folder, or offline, still serves
/// them): <c>/</c> is <c>index.html</c>, the rest is under <c>/dashboard/</c>. The shell holds no data; every number
/// comes from authenticated API calls.
/// </summary>
internal static class DashboardAssets
{
    public const string RequestPath = "/dashboard";

    // The name GenerateEmbeddedFilesManifest gives the manifest resource.
    private const string ManifestName = "Microsoft.Extensions.FileProviders.Embedded.Manifest.xml";

    // Everything from this origin, nothing inline, nothing framed: a stolen key cannot be exfiltrated by injected markup.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void Map(WebApplication app)
    {
        // Read on the first dashboard request, not at start: the embedded manifest is XML, and parsing it loads the XML
        // stack (~3 MB resident for the life of the process) into a gateway that may never serve the page. A build
        // without the manifest still fails at start.
        var assembly = typeof(DashboardAssets).Assembly;
        if (assembly.GetManifestResourceInfo(ManifestName) is null)
        {
            throw new InvalidOperationException($"The dashboard's embedded file manifest ({ManifestName}) is missing from {assembly.GetName().Name}.");
        }
        var files = new LazyFileProvider(() => new ManifestEmbeddedFileProvider(assembly, "Dashboard/wwwroot"));
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".md"] = "text/markdown; charset=utf-8";
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = RequestPath,
            ContentTypeProvider = types,
            OnPrepareResponse = context => SetHeaders(context.Context.Response),
        });
        app.MapGet("/", async context =>
        {
            var index = files.GetFileInfo("index.html");
            SetHeaders(context.Response);
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.ContentLength = index.Length;
            await context.Response.SendFileAsync(index, context.RequestAborted).ConfigureAwait(false);
        });
    }

    private static void SetHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidate every time (ETag): an upgraded gateway never serves yesterday's script to today's API.
        headers.CacheControl = "no-cache";
    }

    private sealed class LazyFileProvider(Func<IFileProvider> create) : IFileProvider
    {
        private readonly Lazy<IFileProvider> _files = new(create);

        public IFileInfo GetFileInfo(string subpath) => _files.Value.GetFileInfo(subpath);

        public IDirectoryContents GetDirectoryContents(string subpath) => _files.Value.GetDirectoryContents(subpath);

        public Microsoft.Extensions.Primitives.IChangeToken Watch(string filter) => _files.Value.Watch(filter);
    }
}
