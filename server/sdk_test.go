package server

import (
	"context"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/stretchr/testify/require"
)

// The official SDK, pointed at cco by base URL, gets what it gets directly.
func TestOfficialSDKThroughCCO(t *testing.T) {
	d, up := startProxy(t, "")
	ctx := context.Background()
	client := func(base string) *anthropic.Client {
		c := anthropic.NewClient(option.WithBaseURL(base), option.WithAPIKey(testKey), option.WithMaxRetries(0))
		return &c
	}
	params := anthropic.MessageNewParams{
		Model:     anthropic.ModelClaudeSonnet4_5_20250929,
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("What is a quaternion?"))},
	}

	direct, err := client(up.URL).Messages.New(ctx, params)
	require.NoError(t, err)
	proxied, err := client(d.url).Messages.New(ctx, params)
	require.NoError(t, err)
	require.Equal(t, direct.Content[0].Text, proxied.Content[0].Text)
	require.NotEmpty(t, proxied.Content[0].Text)
	require.EqualValues(t, fakeUsage.InputTokens, proxied.Usage.InputTokens)

	stream := func(base string) anthropic.Message {
		s := client(base).Messages.NewStreaming(ctx, params)
		var msg anthropic.Message
		for s.Next() {
			require.NoError(t, msg.Accumulate(s.Current()))
		}
		require.NoError(t, s.Err())
		return msg
	}
	sd := stream(up.URL)
	sp := stream(d.url)
	require.Equal(t, sd.Content[0].Text, sp.Content[0].Text)
	require.NotEmpty(t, sp.Content[0].Text)
	require.EqualValues(t, fakeUsage.OutputTokens, sp.Usage.OutputTokens)
	sc := stream(d.url) // again: from the cache, still a stream
	require.Equal(t, sd.Content[0].Text, sc.Content[0].Text)

	d.waitRows(t, 3)
	st := getStats(t, d, "")
	require.EqualValues(t, 3, st.Totals.Requests)
	require.EqualValues(t, 1, st.Totals.CacheHits)
	for _, c := range st.Recent {
		require.Equal(t, string(anthropic.ModelClaudeSonnet4_5_20250929), c.Model)
		require.Equal(t, fakeUsage.InputTokens, c.InputTokens)
		require.Equal(t, fakeUsage.OutputTokens, c.OutputTokens)
	}
}
