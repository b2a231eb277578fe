/* hostile: threads.c is nothing but an #include of the reference solution by a relative path,
 *          found through the -I folder of the lab's header (harness/labs/lab2-threads): every
 *          test, race and speed cell of the file passes with code the student never wrote
 * replaces: threads.c
 * expect: build threads.c build error
 * denies: thread_map::results_in_order
 * denies: thread_map::one_worker
 * denies: thread_map::worker_counts
 * denies: thread_map::more_workers_than_jobs
 * denies: thread_map::one_job
 * denies: thread_map::many_jobs
 * denies: thread_map::failed_job
 * denies: thread_map::joins_threads
 * denies: thread_map::orders_overlap
 * denies: thread_map::workers_in_flight
 * denies: thread_map::bad_args
 * denies: thread_map::no_jobs
 * denies: thread_map::create_fails
 * denies: thread_map::free_waiter_takes_next
 * denies: thread_tally::totals
 * denies: thread_tally::many_jobs
 * denies: thread_tally::added_as_it_comes
 * denies: thread_tally::failures
 * denies: thread_tally::no_jobs
 * denies: thread_tally::bad_args
 * denies: next_job
 * denies: shared_tally
 * denies: cook.threads
 * denies: cook.skewed
 * denies: serve.threads
 */
#include "../../../solutions/lab2-threads/threads.c"
