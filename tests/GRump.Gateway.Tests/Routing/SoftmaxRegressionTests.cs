using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;

namespace GRump.Gateway.Tests.Routing;

/// <summary>The in-process logistic model and the surface features it reads.</summary>
public sealed class SoftmaxRegressionTests
{
    private static (float[][] X, int[] Y) ThreeClusters()
    {
        var x = new List<float[]>();
        var y = new List<int>();
        var random = new Random(7);
        for (var i = 0; i < 90; i++)
        {
            var label = i % 3;
            x.Add([label * 4 + (float)random.NextDouble(), (float)random.NextDouble() * 10, label == 2 ? 5 : 0]);
            y.Add(label);
        }

        return ([.. x], [.. y]);
    }

    [Fact]
    public void Fit_SeparableClasses_PredictsEachWithHighProbability()
    {
        // Arrange
        var (x, y) = ThreeClusters();

        // Act
        var model = SoftmaxRegression.Fit(x, y, classes: 3, l2: 0.01f, steps: 300);

        // Assert
        Span<float> p = stackalloc float[3];
        for (var i = 0; i < x.Length; i++)
        {
            model.Predict(x[i], p);
            Assert.True(p[y[i]] > 0.8f, $"example {i}: class {y[i]} at {p[y[i]]}");
            Assert.Equal(1f, p[0] + p[1] + p[2], 4);
        }
    }

    [Fact]
    public void Fit_IsDeterministic()
    {
        // Arrange
        var (x, y) = ThreeClusters();
        Span<float> a = stackalloc float[3];
        Span<float> b = stackalloc float[3];

        // Act
        SoftmaxRegression.Fit(x, y, 3, 0.05f, 100).Predict(x[5], a);
        SoftmaxRegression.Fit(x, y, 3, 0.05f, 100).Predict(x[5], b);

        // Assert
        Assert.True(a.SequenceEqual(b));
    }

    [Fact]
    public void Fit_ConstantFeature_DoesNotBreakStandardisation()
    {
        var model = SoftmaxRegression.Fit([[1f, 0f], [1f, 1f]], [0, 1], 2, 0.01f, 50);
        Span<float> p = stackalloc float[2];
        model.Predict([1f, 1f], p);
        Assert.True(float.IsFinite(p[0]) && p[1] > 0.5f);
    }

    [Fact]
    public void Surface_CountsTheShapeOfTheAsk_LanguageNeutrally()
    {
        // Arrange
        var signals = new HeuristicSignals(score: 42, promptTokens: 100);
        signals.Add("reasoning", 12);
        signals.Add("not-a-factor", 99);
        Span<float> features = stackalloc float[TaskFeatures.SurfaceCount];

        // Act
        TaskFeatures.Surface(new RoutingPrompt("First, design it. Then build it, test it; ship it?\n- one\n- two", 500), signals, features);

        // Assert
        Assert.Equal(0.42f, features[0]);
        Assert.Equal(12f, features[1 + Array.IndexOf(HeuristicSignals.FactorNames, "reasoning")]);
        Assert.Equal(MathF.Log(101), features[11]);
        Assert.Equal(MathF.Log(1 + 12), features[12]); // words
        Assert.Equal(MathF.Log(1 + 2), features[13]); // sentences: "." and "?" before whitespace
        Assert.Equal(MathF.Log(1 + 3), features[14]); // clauses
        Assert.Equal(MathF.Log(3), features[15]); // lines
        Assert.Equal(MathF.Log(1 + 2), features[16]); // list items
        Assert.Equal(MathF.Log(1 + 1), features[17]); // questions
        Assert.Equal(MathF.Log(501), features[21]); // pasted characters
        Assert.All(features.ToArray(), f => Assert.True(float.IsFinite(f)));
    }
}
