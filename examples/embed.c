/*
 * embed.c - semantic search over a few documents with embeddings.
 *
 * The C form of `await aembedding(model=..., input=[...])`: one request
 * embeds every document (a batch), a second embeds the query, both in
 * flight at once; the documents are then ranked by cosine similarity to
 * the query. The server is the base URL given as argv[1], else
 * $OPENAI_BASE_URL, else OpenAI; the key comes from $OPENAI_API_KEY;
 * argv[2], if given, replaces the query.
 *
 *   cc embed.c $(pkg-config --cflags --libs llmio) -lm -o embed
 *   ./embed http://127.0.0.1:8080/v1 "Where is the cat sleeping?"
 */
#include <math.h>
#include <stdio.h>

#include "llmio.h"

#define MODEL "openai/text-embedding-3-small"
#define NDOCS 4

static const char *const docs[NDOCS] = {
    "The cat sat on the mat.",
    "Stocks fell sharply on Monday.",
    "A kitten is sleeping on the rug.",
    "How do I bake sourdough bread?",
};

/* An embedding request for TEXTS: 256 dimensions, sent as base64 (about a
 * quarter of the bytes of JSON numbers; the library hands back floats
 * either way). */
static llmio_request *embed_request(const char *const *texts, size_t n)
{
    llmio_request *r = llmio_request_new(MODEL);
    for (size_t i = 0; i < n; i++) {
        llmio_request_add_input(r, texts[i]);
    }
    llmio_request_set_dimensions(r, 256);
    llmio_request_set_encoding_format(r, "base64");
    return r;
}

static double cosine(const float *a, const float *b, size_t dim)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t k = 0; k < dim; k++) {
        ab += (double)a[k] * b[k];
        aa += (double)a[k] * a[k];
        bb += (double)b[k] * b[k];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

int main(int argc, char **argv)
{
    const char *query = argc > 2 ? argv[2] : "Where is the cat sleeping?";
    llmio_client *client = NULL;
    if (llmio_client_new(NULL, &client) != LLMIO_OK) {
        return 1;
    }
    if (argc > 1) {
        llmio_client_set_base_url(client, NULL, argv[1]);
    }
    llmio_request *reqs[2] = {embed_request(docs, NDOCS),
                              embed_request(&query, 1)};
    llmio_future *fs[2] = {NULL, NULL};
    int rc = 1;
    for (int i = 0; i < 2; i++) {
        llmio_error err;
        if (llmio_submit(client, reqs[i], NULL, NULL, &fs[i], &err) !=
            LLMIO_OK) {
            fprintf(stderr, "submit: %s\n", err.message);
            goto done;
        }
    }
    llmio_future_wait_all(fs, 2, 60000);
    for (int i = 0; i < 2; i++) {
        if (llmio_future_status(fs[i]) != LLMIO_OK) {
            const llmio_error *e = llmio_future_error(fs[i]);
            fprintf(stderr, "error: %s: %s\n", llmio_status_name(e->code),
                    e->message);
            goto done;
        }
    }

    /* The vectors are borrowed from their futures: use them before
     * llmio_future_free(). Vector i belongs to input i. */
    const llmio_response *d = llmio_future_response(fs[0]);
    const llmio_response *q = llmio_future_response(fs[1]);
    size_t dim = llmio_response_embedding_dim(d);
    printf("%zu documents, %zu dimensions, %lld prompt tokens\n",
           llmio_response_embeddings(d), dim,
           (long long)llmio_response_usage(d).prompt_tokens);
    double score[NDOCS];
    int order[NDOCS];
    for (int i = 0; i < NDOCS; i++) {
        score[i] = cosine(llmio_response_embedding(d, (size_t)i),
                          llmio_response_embedding(q, 0), dim);
        order[i] = i;
    }
    for (int i = 1; i < NDOCS; i++) { /* insertion sort, best first */
        for (int j = i; j > 0 && score[order[j]] > score[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    }
    printf("query: %s\n", query);
    for (int i = 0; i < NDOCS; i++) {
        printf("%.4f  %s\n", score[order[i]], docs[order[i]]);
    }
    rc = 0;
done:
    for (int i = 0; i < 2; i++) {
        llmio_future_free(fs[i]);
        llmio_request_free(reqs[i]);
    }
    llmio_client_free(client);
    return rc;
}
