/*
 * worker_queue.c - many jobs, at most K requests in flight.
 *
 * The C form of the semaphore pattern (`async with Semaphore(5): ...`) and
 * of a worker pool draining a queue: start K requests, and each time one
 * completes, its done callback submits the next job. Submitting from
 * inside a callback is allowed. Nothing waits on a lock, and the limit
 * holds exactly, because only a completion starts new work.
 *
 *   ./worker_queue [BASE_URL] [JOBS] [K]     defaults: 20 jobs, K = 5
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmio.h"

struct queue;

/* One job; its address is the user pointer of its request. */
struct job {
    struct queue *q;
    int index;
    llmio_status status;
    char answer[64];
};

struct queue {
    llmio_client *client;
    struct job *jobs;
    int njobs;
    int next;          /* the next job to submit */
    int in_flight;
    int max_in_flight; /* the highest in_flight seen */
};

static void on_done(llmio_future *f, void *user);

/* Submits the next job, if any. A refused submit marks the job failed
 * (no callback will run for it) and moves on to the one after. */
static void submit_next(struct queue *q)
{
    while (q->next < q->njobs) {
        struct job *job = &q->jobs[q->next++];
        char prompt[32];
        snprintf(prompt, sizeof prompt, "Question %d", job->index);
        llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
        llmio_request_add_message(req, LLMIO_ROLE_USER, prompt);
        llmio_request_set_max_tokens(req, 8);
        llmio_future *f = NULL;
        job->status = llmio_submit(q->client, req, on_done, job, &f, NULL);
        llmio_request_free(req);
        if (job->status == LLMIO_OK) {
            /* The future is freed by on_done; nothing else holds it. */
            q->in_flight++;
            if (q->in_flight > q->max_in_flight) {
                q->max_in_flight = q->in_flight;
            }
            return;
        }
    }
}

static void on_done(llmio_future *f, void *user)
{
    struct job *job = user;
    struct queue *q = job->q;
    job->status = llmio_future_status(f);
    const char *text = llmio_response_text(llmio_future_response(f), 0, NULL);
    snprintf(job->answer, sizeof job->answer, "%.*s",
             (int)sizeof job->answer - 1,
             text ? text : llmio_future_error(f)->message);
    llmio_future_free(f); /* deferred until this callback returns */
    q->in_flight--;
    submit_next(q); /* a slot is free: start the next job */
}

int main(int argc, char **argv)
{
    int njobs = argc > 2 ? atoi(argv[2]) : 20;
    int k = argc > 3 ? atoi(argv[3]) : 5;
    llmio_client *client = NULL;
    if (njobs <= 0 || k <= 0 || llmio_client_new(NULL, &client) != LLMIO_OK) {
        return 1;
    }
    if (argc > 1) {
        llmio_client_set_base_url(client, NULL, argv[1]);
    }

    struct queue q = {.client = client, .njobs = njobs};
    q.jobs = calloc((size_t)njobs, sizeof *q.jobs);
    if (q.jobs == NULL) {
        return 1;
    }
    for (int i = 0; i < njobs; i++) {
        q.jobs[i] = (struct job){.q = &q, .index = i, .status = LLMIO_E_STATE};
    }
    for (int i = 0; i < k; i++) {
        submit_next(&q);
    }
    /* Runs until nothing is pending: the callbacks keep the queue moving. */
    llmio_status st = llmio_client_run(client, 120000);

    int nok = 0;
    for (int i = 0; i < njobs; i++) {
        nok += q.jobs[i].status == LLMIO_OK;
        if (i < 3) {
            printf("job %d: %s\n", i, q.jobs[i].answer);
        }
    }
    printf("%d jobs, %d ok, at most %d in flight (limit %d)\n", njobs, nok,
           q.max_in_flight, k);
    free(q.jobs);
    llmio_client_free(client);
    return st == LLMIO_OK && nok == njobs && q.max_in_flight <= k ? 0 : 1;
}
