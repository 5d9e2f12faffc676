namespace GRump.Gateway.Routing.Internal;

/// <summary>One exemplar as the models see it: its label, surface features and sentence vector.</summary>
internal sealed record TrainingExample(string Id, ComplexityTier Tier, float[] Surface, float[] Embedding);

/// <summary>
/// The learned routers, trained together from the exemplars: <see cref="Surface"/> (the heuristic's signals and the
/// shape of the ask, no sentence model) and <see cref="Semantic"/> (the ask's sentence embedding), plus the exemplar
/// vectors for the nearest exemplar (explanations, and near-duplicates of an exemplar take its label). The two models
/// are fused late (their probabilities averaged): with a few hundred exemplars that beat one model over both feature sets
/// in cross-validation (docs/routing.md).
/// </summary>
internal sealed class TierModels
{
    /// <summary>L2 penalties and Adam steps, chosen by cross-validation on the training split (docs/routing.md).</summary>
    public const float SurfaceL2 = 0.05f;

    public const float SemanticL2 = 1f;

    public const int Steps = 300;

    private TierModels(SoftmaxRegression surface, SoftmaxRegression semantic, ExemplarIndex nearest)
    {
        Surface = surface;
        Semantic = semantic;
        Nearest = nearest;
        TierCounts = nearest.TierCounts();
    }

    public SoftmaxRegression Surface { get; }

    public SoftmaxRegression Semantic { get; }

    public ExemplarIndex Nearest { get; }

    public int[] TierCounts { get; }

    public int Count => Nearest.Count;

    /// <summary>The surface model alone, from the exemplars' surface features (no sentence model needed: usable while the embeddings load).</summary>
    public static SoftmaxRegression TrainSurface(IReadOnlyList<float[]> surface, IReadOnlyList<ComplexityTier> tiers, float l2 = SurfaceL2)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        var labels = new int[tiers.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = (int)tiers[i];
        }

        return SoftmaxRegression.Fit(surface, labels, ComplexityTiers.Count, l2, Steps);
    }

    public static TierModels Train(IReadOnlyList<TrainingExample> examples, float surfaceL2 = SurfaceL2, float semanticL2 = SemanticL2)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var labels = new int[examples.Count];
        var tiers = new ComplexityTier[examples.Count];
        var ids = new string[examples.Count];
        var surface = new float[examples.Count][];
        var semantic = new float[examples.Count][];
        for (var i = 0; i < examples.Count; i++)
        {
            labels[i] = (int)examples[i].Tier;
            tiers[i] = examples[i].Tier;
            ids[i] = examples[i].Id;
            surface[i] = examples[i].Surface;
            semantic[i] = examples[i].Embedding;
        }

        return new TierModels(
            SoftmaxRegression.Fit(surface, labels, ComplexityTiers.Count, surfaceL2, Steps),
            SoftmaxRegression.Fit(semantic, labels, ComplexityTiers.Count, semanticL2, Steps),
            new ExemplarIndex(semantic, tiers, ids));
    }
}
